"""The orchestration API: an API Gateway REST API whose routes all proxy to one Lambda function."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from aws_cdk import Duration, Size
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.components.orchestration_api.request_models import REQUEST_SCHEMAS, api_schema, to_json_schema
from cdk.policy import acknowledge

STREAM_MEDIA_TYPE = "text/event-stream"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    streamed: bool = False  # answers text/event-stream: a STREAM integration to the streaming function
    #: API Gateway request parameters (``method.request.path.<name>`` / ``method.request.querystring.<name>``)
    #: -> required. The validator checks that required ones are present; the handler checks their values.
    parameters: tuple[tuple[str, bool], ...] = ()


_LOCATIONS = {"path": "path", "query": "querystring"}
PATH_PARAMETER = re.compile(r"\{\w+\}")
#: A UUID segment in an IAM resource ARN: 36 single-character wildcards with the dashes in place.
UUID_MASK = "????????-????-????-????-????????????"
_UUID_PATTERN = api_schema.conversation_id_pattern()
for _route in api_schema.routes():
    for _parameter in _route.get("parameters", ()):
        if _parameter["in"] == "path" and api_schema.inlined(_parameter["schema"]).get("pattern") != _UUID_PATTERN:
            raise ValueError(f"{_route['path']}: grant_invoke names path parameters as UUIDs; {_parameter['name']} is not one")

#: Every route, from the runtime's route table (lambdas/orchestrator/orchestrator/schemas/routes.json).
ROUTES: tuple[Route, ...] = tuple(
    Route(
        route["method"],
        route["path"],
        STREAM_MEDIA_TYPE in route["responses"],
        tuple((f"method.request.{_LOCATIONS[p['in']]}.{p['name']}", bool(p.get("required")))
              for p in route.get("parameters", ())),
    )
    for route in api_schema.routes()
)

# Errors API Gateway answers itself, in the orchestrator's shape:
# {"error": {"code", "message"}, "request_id"}. Response type -> (code, Retry-After seconds or None).
# $context.error.messageString is the message already quoted for JSON; gateway-response templates are
# plain substitution (no VTL), so nothing else from the request is interpolated.
GATEWAY_ERRORS: dict[str, tuple[str, int | None]] = {
    "DEFAULT_4XX": ("client_error", None),
    "DEFAULT_5XX": ("internal_error", None),
    "ACCESS_DENIED": ("forbidden", None),
    "UNAUTHORIZED": ("unauthorized", None),
    "MISSING_AUTHENTICATION_TOKEN": ("missing_authentication_token", None),
    "INVALID_SIGNATURE": ("invalid_signature", None),
    "EXPIRED_TOKEN": ("expired_token", None),
    "BAD_REQUEST_BODY": ("validation_error", None),
    "BAD_REQUEST_PARAMETERS": ("validation_error", None),
    "REQUEST_TOO_LARGE": ("payload_too_large", None),
    "UNSUPPORTED_MEDIA_TYPE": ("unsupported_media_type", None),
    "RESOURCE_NOT_FOUND": ("not_found", None),
    "THROTTLED": ("throttled", 1),
    "WAF_FILTERED": ("blocked_by_waf", None),
    "INTEGRATION_TIMEOUT": ("gateway_timeout", None),
    "INTEGRATION_FAILURE": ("integration_failure", None),
}


def gateway_error_template(code: str) -> str:
    return '{"error":{"code":"' + code + '","message":$context.error.messageString},"request_id":"$context.requestId"}'


def access_log_fields(cognito_claims: bool) -> dict[str, str]:
    """One JSON object per request: who called, what, how it ended, how long it took. No bodies."""
    fields = {
        "requestId": "$context.requestId",
        "extendedRequestId": "$context.extendedRequestId",
        "requestTime": "$context.requestTimeEpoch",
        "stage": "$context.stage",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "protocol": "$context.protocol",
        "sourceIp": "$context.identity.sourceIp",
        "caller": "$context.identity.caller",
        "userArn": "$context.identity.userArn",
        "accountId": "$context.identity.accountId",
        "apiKeyId": "$context.identity.apiKeyId",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integration.latency",
        "integrationStatus": "$context.integration.status",
        "errorType": "$context.error.responseType",
        "errorMessage": "$context.error.message",
        "wafResponseCode": "$context.wafResponseCode",
        "xrayTraceId": "$context.xrayTraceId",
    }
    if cognito_claims:
        fields["cognitoSub"] = "$context.authorizer.claims.sub"
    return fields


class OrchestrationApi(Construct):
    """REST API (regional) with every route of the runtime's route table (``schemas/routes.json``: e.g.
    ``GET /v1/models``, ``POST /v1/generate``, ``/v1/chat``, ``/v1/compare``, ``/v1/moderate``,
    ``/v1/prompt/preview``), every one a Lambda proxy to ``handler``.

    - every method is authorized: IAM (SigV4) by default, a Cognito user-pool authorizer if a pool is given;
    - POST bodies are validated against JSON-schema models before the function runs;
    - stage-wide method throttling and no usage plan: API keys identify no one (any holder of a key can
      use it; AWS says not to use them for authentication or authorization, and calls usage-plan limits
      best effort), so per-client limits would be per-leaked-key limits. Callers are IAM principals or
      Cognito users; per-source limits belong to the web ACL's rate rule (API Gateway Developer Guide,
      "Usage plans and API keys for REST APIs": usage-plan throttling and quotas are best effort, not to be
      relied on to control costs or block access; "Best practices for API keys and usage plans": don't rely on
      API keys as the only means of authentication and authorization);
    - JSON access logs to the given (encrypted) log group, X-Ray tracing, detailed metrics;
    - gateway errors (4xx/5xx) in the function's JSON error shape, with the request id;
    - the streamed routes (``text/event-stream`` in the route table) proxy to ``stream_handler`` with the
      integration's ``responseTransferMode: STREAM`` (API Gateway invokes it with InvokeWithResponseStream and
      sends each chunk on as it arrives, for up to ``stream_timeout``, at most 15 minutes); same authorizer,
      request models, stage, throttling, access logs and web ACL as every other route. Without a
      ``stream_handler`` they go to ``handler``, which answers them in one buffered body.

    Example::

        from aws_cdk import App, CfnOutput, Duration, RemovalPolicy, Stack
        from aws_cdk import aws_logs as logs

        from cdk.components.encrypted_log_group import EncryptedLogGroup
        from cdk.components.orchestration_api import OrchestrationApi
        from cdk.components.python_function import PythonFunction

        app = App()
        stack = Stack(app, "Example")
        fn = PythonFunction(stack, "Orchestrator", asset="orchestrator", handler="handler.handler",
                            service_name="orchestrator", metrics_namespace="GenAiStack", memory_size=1024,
                            timeout=Duration.seconds(29), reserved_concurrency=10,
                            log_retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY)
        access_logs = EncryptedLogGroup(stack, "AccessLogs", retention=logs.RetentionDays.ONE_MONTH,
                                        removal_policy=RemovalPolicy.DESTROY)
        api = OrchestrationApi(stack, "Api", handler=fn.function, stage_name="api", integration_timeout=Duration.seconds(29),
                               throttle_rate_limit=10, throttle_burst_limit=20, access_log_group=access_logs.log_group,
                               no_web_acl_reason="this example takes IAM-signed calls only; RegionalWebAcl.associate "
                                                 "attaches a web ACL where the API is public")
        CfnOutput(stack, "ApiUrl", value=api.url)
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.IFunction,
        stage_name: str,
        integration_timeout: Duration,
        throttle_rate_limit: float,
        throttle_burst_limit: int,
        access_log_group: logs.ILogGroup,
        execution_log_level: apigateway.MethodLoggingLevel = apigateway.MethodLoggingLevel.OFF,
        user_pool: cognito.IUserPool | None = None,
        description: str | None = None,
        no_web_acl_reason: str | None = None,
        stream_handler: lambda_.IFunction | None = None,
        stream_timeout: Duration | None = None,
    ) -> None:
        """``no_web_acl_reason``: why no web ACL will be associated with the stage (acknowledges the WAF
        findings); leave it None when the caller associates one."""
        super().__init__(scope, construct_id)
        self.stage_name = stage_name
        self.authorizer: apigateway.IAuthorizer | None = None
        if user_pool is not None:
            self.authorizer = apigateway.CognitoUserPoolsAuthorizer(
                self, "Authorizer", cognito_user_pools=[user_pool], results_cache_ttl=Duration.minutes(5),
            )
        self.api = apigateway.RestApi(
            self,
            "RestApi",
            description=description,
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            cloud_watch_role=False,  # account-level setting; see execution_log_level
            fail_on_warnings=True,
            min_compression_size=Size.kibibytes(1),
            deploy_options=apigateway.StageOptions(
                stage_name=stage_name,
                tracing_enabled=True,
                metrics_enabled=True,
                data_trace_enabled=False,  # full request/response logging would write prompts to logs
                logging_level=execution_log_level,
                throttling_rate_limit=throttle_rate_limit,
                throttling_burst_limit=throttle_burst_limit,
                access_log_destination=apigateway.LogGroupLogDestination(access_log_group),
                access_log_format=apigateway.AccessLogFormat.custom(
                    json.dumps(access_log_fields(cognito_claims=user_pool is not None), separators=(",", ":"))
                ),
            ),
            default_method_options=apigateway.MethodOptions(
                authorization_type=(apigateway.AuthorizationType.COGNITO if self.authorizer
                                    else apigateway.AuthorizationType.IAM),
                authorizer=self.authorizer,
            ),
        )
        # RestApi adds an "Endpoint" output of its own; the stack publishes the URL once, as ApiUrl.
        self.api.node.try_remove_child("Endpoint")
        self.stage = self.api.deployment_stage
        self.url = self.api.url

        self.validator = self.api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True,
        )
        integration = apigateway.LambdaIntegration(
            handler, proxy=True, timeout=integration_timeout, allow_test_invoke=False,
        )
        stream_integration = integration
        if stream_handler is not None:
            # CDK 2.275 (aws_apigateway LambdaIntegration, checked in the installed package): STREAM switches
            # the integration URI to .../2021-11-15/functions/<arn>/response-streaming-invocations.
            stream_integration = apigateway.LambdaIntegration(
                stream_handler, proxy=True, timeout=stream_timeout or integration_timeout, allow_test_invoke=False,
                response_transfer_mode=apigateway.ResponseTransferMode.STREAM,
            )
        self.models: dict[str, apigateway.Model] = {}
        by_title: dict[str, apigateway.Model] = {}
        self.methods: dict[tuple[str, str], apigateway.Method] = {}
        for route in ROUTES:
            resource = self.api.root.resource_for_path(route.path.lstrip("/"))
            request_models = None
            schema = REQUEST_SCHEMAS.get(route.path) if route.method == "POST" else None
            if schema is not None:
                title = schema["title"]  # a streamed route shares its buffered twin's request model
                if title not in by_title:
                    by_title[title] = self.api.add_model(
                        title, content_type="application/json", model_name=title, schema=to_json_schema(schema),
                    )
                self.models[route.path] = by_title[title]
                request_models = {"application/json": by_title[title]}
            self.methods[(route.method, route.path)] = resource.add_method(
                route.method, stream_integration if route.streamed else integration,
                request_validator=self.validator, request_models=request_models,
                request_parameters=dict(route.parameters) or None,
            )

        for response_type, (code, retry_after) in GATEWAY_ERRORS.items():
            headers = {"Content-Type": "'application/json'"}
            if retry_after is not None:
                headers["Retry-After"] = f"'{retry_after}'"
            self.api.add_gateway_response(
                response_type.replace("_", " ").title().replace(" ", ""),
                type=apigateway.ResponseType.of(response_type),
                response_headers=headers,
                templates={"application/json": gateway_error_template(code)},
            )
        self._acknowledge_findings(iam_authorized=user_pool is None,
                                   execution_logging=execution_log_level != apigateway.MethodLoggingLevel.OFF,
                                   no_web_acl_reason=no_web_acl_reason)

    def grant_invoke(self, grantee: iam.IGrantable) -> None:
        """``execute-api:Invoke`` on exactly this API's routes in its stage, one ARN per method. A path parameter
        (every one is a UUID: checked against the route table) is named by a UUID-shaped mask of ``?`` (one
        character each) instead of ``*``, so the grant covers one UUID segment and nothing longer (IAM resource
        ARNs take the ``*`` and ``?`` wildcards in any segment: IAM User Guide, "IAM JSON policy elements:
        Resource"; unverified against a deployed API)."""
        for (verb, path), method in self.methods.items():
            if "{" not in path:
                method.grant_execute(grantee)
                continue
            arn = self.api.arn_for_execute_api(verb, PATH_PARAMETER.sub(UUID_MASK, path), self.stage.stage_name)
            iam.Grant.add_to_principal(grantee=grantee, actions=["execute-api:Invoke"], resource_arns=[arn])

    def _acknowledge_findings(self, *, iam_authorized: bool, execution_logging: bool,
                              no_web_acl_reason: str | None) -> None:
        """What this API is by design, acknowledged here so that the construct passes the rule packs on its own."""
        stage = self.stage
        if no_web_acl_reason is not None:
            for rule in ("AwsSolutions-APIG3", "NIST.800.53.R5-APIGWAssociatedWithWAF"):
                acknowledge(stage, rule, no_web_acl_reason)
        if not execution_logging:
            for rule in ("AwsSolutions-APIG6", "NIST.800.53.R5-APIGWExecutionLoggingEnabled"):
                acknowledge(stage, rule, "execution logging needs the account-wide API Gateway CloudWatch role, which an "
                                         "environment stack does not own; JSON access logs, X-Ray and the function's "
                                         "logs cover each request (api.execution_log_level turns it on)")
        acknowledge(stage, "NIST.800.53.R5-APIGWCacheEnabledAndEncrypted",
                    "responses are generated per caller and per request (model output, chat history): caching them "
                    "would serve one caller's answer to another")
        acknowledge(stage, "NIST.800.53.R5-APIGWSSLEnabled",
                    "the only backend is a Lambda proxy integration invoked through the Lambda API; a client "
                    "certificate authenticates API Gateway to HTTP backends, of which there are none")
        if iam_authorized:
            acknowledge(self.api, "AwsSolutions-COG4",
                        "every method uses IAM (SigV4) authorization: callers are IAM principals of the platform; "
                        "api.authorization 'cognito' switches to a Cognito user-pool authorizer")
