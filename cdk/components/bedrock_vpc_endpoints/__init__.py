from cdk.components.bedrock_vpc_endpoints.construct import SERVICES, BedrockVpcEndpoints

__all__ = ["SERVICES", "BedrockVpcEndpoints"]
