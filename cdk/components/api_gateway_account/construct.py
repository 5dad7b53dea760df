"""API Gateway's account-level CloudWatch Logs role (``AWS::ApiGateway::Account``): one per account and region."""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack, Token
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk.components.encrypted_log_group import retry_safe
from cdk.components.managed_policy_role import ManagedPolicyRole
from cdk.policy import acknowledge

# The actions of the AWS-managed policy AmazonAPIGatewayPushToCloudWatchLogs, which API Gateway's guide names
# for this role (the RestApi L2's cloudWatchRole attaches that managed policy; verified in aws-cdk-lib 2.275.0's
# aws-apigateway/lib/restapi.js). Here they sit in a customer-managed policy limited to this account and region.
PUSH_TO_CLOUDWATCH_LOGS_ACTIONS = (
    "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams",
    "logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents",
)


class ApiGatewayAccountRole(Construct):
    """Sets the role API Gateway uses to write every stage's access and execution logs in this account and region.

    A stage with access logging fails to deploy in an account and region where this role was never set
    ("CloudWatch Logs role ARN must be set in account settings to enable logging"). It is an account-level
    setting: CloudFormation's ``AWS::ApiGateway::Account`` reference says to keep one per region per account
    (a second one overwrites the first), so create this construct in one stack per account and region only
    (this app: the account stack, deployed before any stage) and make any stage of that stack depend on
    :attr:`account`.

    The CDK's ``RestApi(cloud_watch_role=True)`` would create it per API, with the AWS-managed policy; this
    construct owns it once, with a customer-managed policy. The same reference says deleting the stack leaves
    the setting in place, so the role and its policy are retained (except when their first create rolls back):
    stages keep logging if the stack that set it is destroyed.

    Example::

        from aws_cdk import App, RemovalPolicy, Stack

        from cdk.components.api_gateway_account import ApiGatewayAccountRole

        app = App()
        stack = Stack(app, "Example")
        account = ApiGatewayAccountRole(stack, "ApiGatewayAccount", removal_policy=RemovalPolicy.RETAIN)
        account.account  # stages that log depend on it
    """

    def __init__(self, scope: Construct, construct_id: str, *,
                 removal_policy: RemovalPolicy = RemovalPolicy.RETAIN) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # No aws:SourceArn/aws:SourceAccount on the trust: API Gateway documents none for this role (unverified
        # that it would send them), and a condition it does not meet would break every stage's logging.
        self.role = ManagedPolicyRole(self, "Role", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
                                      description="API Gateway writes API access and execution logs to CloudWatch "
                                                  "Logs in this account and region")
        self.role.add_to_principal_policy(iam.PolicyStatement(
            actions=list(PUSH_TO_CLOUDWATCH_LOGS_ACTIONS),
            resources=[stack.format_arn(service="logs", resource="log-group", resource_name="*",
                                        arn_format=ArnFormat.COLON_RESOURCE_NAME)],
        ))
        for resource in (self.role, self.role.policy):
            resource.apply_removal_policy(retry_safe(removal_policy))
        self.account = apigateway.CfnAccount(self, "Account", cloud_watch_role_arn=self.role.role_arn)
        self.account.node.add_dependency(self.role.policy)
        acknowledge(self.role.policy, "AwsSolutions-IAM5",
                    "API Gateway writes the access and execution logs of every API stage in this account and region "
                    "(log groups it may create itself, e.g. API-Gateway-Execution-Logs_<api>/<stage>): the role is "
                    "limited to this account's and region's log groups, not to one name.",
                    findings=[f"Resource::arn:{_shown(stack.partition, 'AWS::Partition')}:logs:"
                              f"{_shown(stack.region, 'AWS::Region')}:{_shown(stack.account, 'AWS::AccountId')}:log-group:*"])


def _shown(value: str, pseudo_parameter: str) -> str:
    """How cdk-nag prints a value of an ARN: itself when known at synth, else <AWS::...>."""
    return f"<{pseudo_parameter}>" if Token.is_unresolved(value) else value
