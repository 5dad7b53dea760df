from cdk.components.api_user_pool.construct import ApiUserPool

__all__ = ["ApiUserPool"]
