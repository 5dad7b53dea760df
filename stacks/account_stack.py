"""The account-level singletons of one account and region, in a small stack deployed before any environment there.

Bedrock model invocation logging, API Gateway's CloudWatch Logs role (``AWS::ApiGateway::Account``) and the
CloudTrail trail with its security alarms exist once per account and region (see ``cdk/config/account.py``).
Holding them here, not in one environment's stacks, means:

- every environment's API stage deploys in a fresh account without waiting for another environment (a stage
  with access logs fails without the account's CloudWatch role), whatever order people deploy in;
- destroying any environment never switches logging off or removes the trail for the others.

The pipeline deploys this stage in its first wave, before dev; ``make deploy ENV=<env>`` deploys it first.
Retention and data settings come from the strictest environment of the place (:class:`AccountPlace`).
"""

from __future__ import annotations

from aws_cdk import Duration, Environment, RemovalPolicy, Stack, Stage, Tags
from constructs import Construct

from cdk.components.alarm_topic import CLOUDWATCH_ALARMS, AlarmTopic
from cdk.components.api_gateway_account import ApiGatewayAccountRole
from cdk.components.audit_trail import AuditTrail, TrailRetention
from cdk.components.bedrock_invocation_logging import ModelInvocationLogging
from cdk.components.encrypted_log_group import retention_days
from cdk.components.trail_security_alarms import TrailSecurityAlarms
from cdk.config.account import ACCOUNT_STACK_ID, AccountPlace
from cdk.config.environment import ENVIRONMENT_TAG_KEY, PROJECT_TAG_KEY


class AccountStack(Stack):
    """Invocation logging, API Gateway's account role, the trail and its alarms for one account and region."""

    def __init__(self, scope: Construct, construct_id: str, *, place: AccountPlace, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        settings = place.strictest  # the strictest environment sharing this account and region
        removal = RemovalPolicy.RETAIN if settings.retain_data else RemovalPolicy.DESTROY
        observability = settings.observability
        # Its own topic (the strictest environment's subscribers or existing topic): a reference to an
        # environment's Alerting stack would make this stack wait for that environment again.
        self.alarm_topic = AlarmTopic(self, "AlarmTopic", emails=observability.alarm_emails,
                                      publishers=(CLOUDWATCH_ALARMS,),
                                      existing_topic_arn=observability.alarm_topic_arn, removal_policy=removal)

        self.api_gateway_account = ApiGatewayAccountRole(self, "ApiGatewayAccount", removal_policy=removal)

        logging = settings.bedrock.invocation_logging
        self.invocation_logging = ModelInvocationLogging(
            self,
            "InvocationLogging",
            log_group_name=f"/{place.stack_name}/bedrock/model-invocations",
            retention=retention_days(logging.log_retention_days),
            removal_policy=removal,
            bucket_expiration_days=logging.bucket_expiration_days,
            infrequent_access_after_days=logging.infrequent_access_after_days,
            noncurrent_version_expiration_days=logging.noncurrent_version_expiration_days,
            deliver_text_data=logging.deliver_text_data,
            deliver_image_data=logging.deliver_image_data,
            deliver_embedding_data=logging.deliver_embedding_data,
            deliver_video_data=logging.deliver_video_data,
            deliver_audio_data=logging.deliver_audio_data,
            alarm_action=self.alarm_topic.alarm_action,
        )

        self.trail: AuditTrail | None = None
        self.security_alarms: TrailSecurityAlarms | None = None
        trail = observability.cloudtrail
        if trail.creates_trail:
            self.trail = AuditTrail(
                self, "AuditTrail", trail_name=f"{place.stack_name}-trail", removal_policy=removal,
                retention=TrailRetention(
                    log_group_days=retention_days(trail.log_retention_days),
                    infrequent_access_after=Duration.days(trail.transition_to_infrequent_access_days),
                    glacier_instant_retrieval_after=Duration.days(trail.transition_to_glacier_days),
                    expire_after=Duration.days(trail.expiration_days),
                    noncurrent_versions_expire_after=Duration.days(trail.noncurrent_version_expiration_days),
                ),
            )
            self.security_alarms = TrailSecurityAlarms(
                self, "SecurityAlarms", environment=place.stack_name, log_group=self.trail.log_group,
                metric_namespace=f"{place.stack_name}/CloudTrail", action=self.alarm_topic.alarm_action,
            )


class AccountStage(Stage):
    """The Stage of one :class:`AccountStack` (``cdk deploy 'account-<region>/*'``; the pipeline's first wave)."""

    def __init__(self, scope: Construct, *, place: AccountPlace, **kwargs) -> None:
        super().__init__(scope, place.stage_id, env=Environment(account=place.account, region=place.region), **kwargs)
        self.place = place
        Tags.of(self).add(PROJECT_TAG_KEY, place.project)
        # Its own `environment` tag value: its costs show apart from every environment's budget and report.
        Tags.of(self).add(ENVIRONMENT_TAG_KEY, place.stage_id)
        self.account_stack = AccountStack(
            self,
            ACCOUNT_STACK_ID,
            stack_name=place.stack_name,
            description=f"{place.project}: account-level singletons of {place.describe()} (Bedrock invocation "
                        f"logging, API Gateway's CloudWatch role, CloudTrail) for {', '.join(place.environments)}",
            place=place,
        )
