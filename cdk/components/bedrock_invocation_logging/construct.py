"""Bedrock model invocation logging for one account and Region, delivered to CloudWatch Logs and S3."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr
from constructs import Construct

from cdk.components.encrypted_log_group import EncryptedLogGroup, LogsEncryptionKey
from cdk.components.managed_policy_role import ManagedPolicyRole
from cdk.components.secure_bucket import AccessLogsBucket, SecureBucket, tidy_auto_delete_provider
from cdk.policy import acknowledge

#: The log stream Bedrock writes to in the configured log group (Bedrock User Guide, model invocation logging).
BEDROCK_LOG_STREAM = "aws/bedrock/modelinvocations"
LOG_KEY_PREFIX = "invocation-logs"
LARGE_DATA_KEY_PREFIX = "invocation-logs-large-data"
LOGGING_ACTIONS = ("bedrock:PutModelInvocationLoggingConfiguration", "bedrock:DeleteModelInvocationLoggingConfiguration")


class ModelInvocationLogging(Construct):
    """Turns on Bedrock model invocation logging for the stack's account and Region.

    CloudFormation has no resource for it, so an ``AwsCustomResource`` (the Lambda runtime's own SDK, no
    download) calls ``PutModelInvocationLoggingConfiguration`` on create and update and
    ``DeleteModelInvocationLoggingConfiguration`` on delete. Logs go to:

    - a CloudWatch Logs log group encrypted with a customer-managed key, written by Bedrock through a role
      it assumes (``loggingConfig.cloudWatchConfig.roleArn``; trust limited by ``aws:SourceAccount`` and
      ``aws:SourceArn``) that may only create and write the ``aws/bedrock/modelinvocations`` stream;
    - an S3 bucket (SSE-KMS with the same key, TLS only, public access blocked, versioned, lifecycle,
      server access logs to a second bucket) whose policy lets ``bedrock.amazonaws.com`` put objects under
      ``invocation-logs/AWSLogs/<account>/BedrockModelInvocationLogs/`` for this account and Region only.

    The custom resource's role may only put and delete the logging configuration, pass the Bedrock logging
    role to Bedrock, and write its own log group. Every data flag of ``LoggingConfig`` is sent explicitly (a
    flag left out may default to delivering that modality): with them off, Bedrock logs metadata only
    (identity, model, token counts, latency), no prompts or responses.

    There is one logging configuration per account and Region: create this construct in one stack only.

    Example::

        from aws_cdk import App, Stack
        from aws_cdk import aws_logs as logs

        from cdk.components.bedrock_invocation_logging import ModelInvocationLogging

        app = App()
        stack = Stack(app, "Example")
        invocation_logging = ModelInvocationLogging(stack, "InvocationLogging", log_group_name="/app/dev/bedrock/invocations",
                                                    retention=logs.RetentionDays.ONE_MONTH)
        invocation_log_group = invocation_logging.log_group  # where invocation metadata lands
    """

    def __init__(self, scope: Construct, construct_id: str, *, log_group_name: str, retention: logs.RetentionDays,
                 removal_policy: RemovalPolicy = RemovalPolicy.RETAIN, bucket_expiration_days: int = 365,
                 infrequent_access_after_days: int = 30, noncurrent_version_expiration_days: int = 30,
                 deliver_text_data: bool = False, deliver_image_data: bool = False,
                 deliver_embedding_data: bool = False, deliver_video_data: bool = False,
                 deliver_audio_data: bool = False,
                 alarm_action: cloudwatch.IAlarmAction | None = None) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        partition, region, account = stack.partition, stack.region, stack.account
        bedrock_source = {
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:bedrock:{region}:{account}:*"},
        }

        # One key for the log groups and the bucket; Bedrock may generate data keys for the bucket only
        # when it acts for this account and Region.
        self.key = LogsEncryptionKey(self, "Encryption", description="Encrypts Bedrock model invocation logs",
                                     removal_policy=removal_policy).key
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowBedrockInvocationLogDeliveryToS3",
            principals=[iam.ServicePrincipal("bedrock.amazonaws.com")],
            actions=["kms:GenerateDataKey"],
            resources=["*"],  # in a key policy, "*" means this key
            conditions=bedrock_source,
        ))
        self.log_group = EncryptedLogGroup(self, "Logs", retention=retention, removal_policy=removal_policy,
                                           encryption_key=self.key, log_group_name=log_group_name).log_group

        self.access_logs_bucket = AccessLogsBucket(self, "AccessLogs", removal_policy=removal_policy,
                                                   expiration_days=bucket_expiration_days).bucket
        transitions = [s3.Transition(storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                                     transition_after=Duration.days(infrequent_access_after_days))] \
            if infrequent_access_after_days else None
        self.bucket = SecureBucket(
            self,
            "Bucket",
            encryption_key=self.key,
            access_logs_bucket=self.access_logs_bucket,
            access_logs_prefix="invocation-logs-bucket/",
            removal_policy=removal_policy,
            replication_reason="Invocation logs stay in the Region where the calls were made (data residency of "
                               "request metadata); a copy in another Region or account is the organization's log "
                               "archive's job.",
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(bucket_expiration_days),
                                              transitions=transitions,
                                              noncurrent_version_expiration=Duration.days(noncurrent_version_expiration_days),
                                              abort_incomplete_multipart_upload_after=Duration.days(7))],
        ).bucket
        self.bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="AmazonBedrockLogsWrite",
            principals=[iam.ServicePrincipal("bedrock.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[self.bucket.arn_for_objects(f"{prefix}/AWSLogs/{account}/BedrockModelInvocationLogs/*")
                       for prefix in (LOG_KEY_PREFIX, LARGE_DATA_KEY_PREFIX)],
            conditions=bedrock_source,
        ))

        # The role Bedrock assumes to write the log group: the one stream, nothing else.
        self.delivery_role = ManagedPolicyRole(
            self,
            "DeliveryRole",
            assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com", conditions=bedrock_source),
            description="Assumed by Bedrock to deliver model invocation logs to CloudWatch Logs",
        )
        self.delivery_role.add_to_principal_policy(iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[stack.format_arn(service="logs", resource="log-group",
                                        resource_name=f"{log_group_name}:log-stream:{BEDROCK_LOG_STREAM}",
                                        arn_format=ArnFormat.COLON_RESOURCE_NAME)],
        ))

        logging_config = {
            "cloudWatchConfig": {
                "logGroupName": self.log_group.log_group_name,
                "roleArn": self.delivery_role.role_arn,
                "largeDataDeliveryS3Config": {"bucketName": self.bucket.bucket_name,
                                              "keyPrefix": LARGE_DATA_KEY_PREFIX},
            },
            "s3Config": {"bucketName": self.bucket.bucket_name, "keyPrefix": LOG_KEY_PREFIX},
            "textDataDeliveryEnabled": deliver_text_data,
            "imageDataDeliveryEnabled": deliver_image_data,
            "embeddingDataDeliveryEnabled": deliver_embedding_data,
            "videoDataDeliveryEnabled": deliver_video_data,
            "audioDataDeliveryEnabled": deliver_audio_data,
        }
        put = cr.AwsSdkCall(
            service="bedrock",
            action="PutModelInvocationLoggingConfiguration",
            parameters={"loggingConfig": logging_config},
            physical_resource_id=cr.PhysicalResourceId.of(f"bedrock-model-invocation-logging-{account}-{region}"),
            logging=cr.Logging.with_data_hidden(),
        )
        # The provider function's own role (a managed policy, no inline policy, no AWS-managed policy).
        provider_logs = EncryptedLogGroup(self, "ProviderLogs", retention=retention, removal_policy=removal_policy,
                                          encryption_key=self.key,
                                          log_group_name=f"{log_group_name}-provider").log_group
        self.provider_role = ManagedPolicyRole(
            self,
            "ProviderRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Puts and deletes the Bedrock model invocation logging configuration",
        )
        for statement in self.provider_statements(provider_logs):
            self.provider_role.add_to_principal_policy(statement)
        self.configuration = cr.AwsCustomResource(
            self,
            "Configuration",
            resource_type="Custom::BedrockModelInvocationLogging",
            on_create=put,
            on_update=put,
            on_delete=cr.AwsSdkCall(service="bedrock", action="DeleteModelInvocationLoggingConfiguration",
                                    logging=cr.Logging.with_data_hidden()),
            # The role carries the statements (``provider_statements``) in a customer-managed policy rather
            # than the inline policy ``AwsCustomResourcePolicy.from_statements`` would create.
            role=self.provider_role,
            install_latest_aws_sdk=False,
            log_group=provider_logs,
            memory_size=256,
            timeout=Duration.minutes(2),
        )
        # Bedrock validates the destinations when the configuration is put: the bucket policy and the
        # delivery role's permissions must be in place first (the rest is referenced, hence ordered, already).
        for dependency in (self.bucket.policy, self.delivery_role.policy, self.provider_role.policy):
            self.configuration.node.add_dependency(dependency)
        acknowledge(self.provider_role.policy, "AwsSolutions-IAM5",
                    "bedrock:PutModelInvocationLoggingConfiguration and DeleteModelInvocationLoggingConfiguration "
                    "act on the account-and-Region logging setting and support no resource-level permissions.",
                    findings=["Resource::*"])
        self._acknowledge_provider_function(stack)
        self._drop_redundant_depends_on(stack)

        if alarm_action is not None:
            for destination in ("CloudWatch", "S3"):
                alarm = cloudwatch.Metric(
                    namespace="AWS/Bedrock",
                    metric_name=f"ModelInvocationLogs{destination}DeliveryFailure",
                    statistic="Sum",
                    period=Duration.minutes(5),
                ).create_alarm(
                    self,
                    f"{destination}DeliveryFailures",
                    alarm_description=f"Bedrock could not deliver model invocation logs to {destination}",
                    threshold=1,
                    evaluation_periods=1,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
                alarm.add_alarm_action(alarm_action)
                alarm.add_ok_action(alarm_action)

    def _acknowledge_provider_function(self, stack: Stack) -> None:
        """The AwsCustomResource singleton function runs only when CloudFormation creates, updates or deletes
        this resource; what the Lambda rules ask of request-serving functions does not apply to it."""
        function_id = "AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")
        function = stack.node.try_find_child(function_id)
        if function is None:
            return
        for rule, reason in (
            ("Serverless-LambdaDLQ", "Invoked only by CloudFormation for this custom resource, which reports the "
                                     "outcome to the stack; a failed call fails the deployment, no event is lost."),
            ("NIST.800.53.R5-LambdaDLQ", "Invoked only by CloudFormation for this custom resource, which reports "
                                         "the outcome to the stack; a failed call fails the deployment."),
            ("NIST.800.53.R5-LambdaConcurrency", "Runs once per stack operation; reserving concurrency would only "
                                                 "take capacity from the account's unreserved pool."),
            ("NIST.800.53.R5-LambdaInsideVPC", "Calls only the regional Bedrock control-plane API during deployment "
                                               "and touches no private resources."),
            ("Serverless-LambdaTracing", "A deployment-time custom resource handler that makes one API call; its "
                                         "logs in its own encrypted log group are the record."),
        ):
            acknowledge(function, rule, reason)

    def _drop_redundant_depends_on(self, stack: Stack) -> None:
        """cfn-lint W3005: the L2s make both provider functions depend on roles they already reference with
        GetAtt. Keep the singleton's dependency on its role's policy (nothing references that)."""
        function = stack.node.try_find_child("AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", ""))
        if function is not None:
            function.node.default_child.add_override(
                "DependsOn", [stack.get_logical_id(self.provider_role.policy.node.default_child)])
        tidy_auto_delete_provider(stack)

    def provider_statements(self, provider_logs: logs.ILogGroup) -> list[iam.PolicyStatement]:
        """Everything the custom resource's function may do."""
        return [
            # The logging configuration is an account-and-Region setting: these actions have no resource type.
            iam.PolicyStatement(actions=list(LOGGING_ACTIONS), resources=["*"]),
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.delivery_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
            ),
            iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                resources=[provider_logs.log_group_arn]),
        ]

