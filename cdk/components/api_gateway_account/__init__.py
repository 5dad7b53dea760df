from cdk.components.api_gateway_account.construct import ApiGatewayAccountRole

__all__ = ["ApiGatewayAccountRole"]
