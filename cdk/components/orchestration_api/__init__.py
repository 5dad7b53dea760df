from cdk.components.orchestration_api.construct import GATEWAY_ERRORS, ROUTES, OrchestrationApi, Route
from cdk.components.orchestration_api.request_models import REQUEST_SCHEMAS

__all__ = ["GATEWAY_ERRORS", "REQUEST_SCHEMAS", "ROUTES", "OrchestrationApi", "Route"]
