"""Keeps knowledge bases in sync with their S3 sources: CloudFormation creates a data source but never syncs it.

Triggers, all into one SQS queue whose delivery delay debounces bursts:

- S3 ``Object Created`` / ``Object Deleted`` events of each source bucket and prefix (EventBridge notifications;
  the bucket must have them enabled: :func:`enable_event_bridge_notifications` for a bucket of this app, the
  bucket owner's ``put-bucket-notification-configuration`` for an existing one);
- this stack's own ``CloudFormation Stack Status Change`` to CREATE_COMPLETE or UPDATE_COMPLETE (a new or replaced
  data source is empty until its first job). Chosen over a custom resource: no provider function, and every
  successful deploy re-checks the sources, while the worker's debounce makes a no-change sync cheap to skip.

The worker (``lambdas/kb_ingestion``) starts at most one ingestion job per data source (a running job defers the
messages: SQS redelivers them after the visibility timeout). Bedrock does not document ingestion-job events on
EventBridge (its event list has model-customization and batch-inference jobs only), so a schedule has the worker
publish each data source's latest job as metrics (status, document counts); a failed job raises an alarm.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from kb_ingestion import settings_contract as contract  # on sys.path: see this package's __init__

from cdk.components.knowledge_base.construct import KnowledgeBase
from cdk.components.python_function import PythonFunction
from cdk.policy import acknowledge

FUNCTION_ASSET = "kb_ingestion"
FUNCTION_HANDLER = "kb_ingestion.handler.handler"
SERVICE_NAME = "kb-ingestion"
# Changes within this delay are seen by one job; a running job defers messages for the visibility timeout, for at
# most MAX_RECEIVES deliveries (4 hours) before they go to the dead-letter queue (which alarms).
DEBOUNCE = Duration.seconds(120)
VISIBILITY_TIMEOUT = Duration.minutes(5)
MAX_RECEIVES = 48
STATUS_PERIOD = Duration.minutes(15)


def enable_event_bridge_notifications(bucket: s3.IBucket) -> None:
    """Send the bucket's object events to EventBridge. Set on the L1 (``NotificationConfiguration.
    EventBridgeConfiguration``) on purpose: the L2's ``event_bridge_enabled`` does it through a custom-resource
    Lambda (BucketNotificationsHandler) with an AWS-managed policy, where CloudFormation supports it natively."""
    cfn_bucket = bucket.node.default_child
    if not isinstance(cfn_bucket, s3.CfnBucket):
        raise ValueError(f"{bucket.node.path} is not a bucket of this app; enable its EventBridge notifications "
                         "where it is managed")
    cfn_bucket.add_property_override("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True)


class KnowledgeBaseIngestion(Construct):
    """The sync worker of a set of :class:`KnowledgeBase`\\ s, its triggers, status metrics and alarms.

    Exposes ``metric(name, knowledge_base)`` for the worker's metrics (``kb_ingestion.settings_contract``),
    ``alarms`` (a failed latest job per knowledge base; messages dead-lettered) and ``function``.

    Example::

        from aws_cdk import App, RemovalPolicy, Stack
        from aws_cdk import aws_kms as kms
        from aws_cdk import aws_logs as logs
        from aws_cdk import aws_s3 as s3

        from cdk.components.knowledge_base import KnowledgeBase, KnowledgeBaseProps
        from cdk.components.knowledge_base_ingestion import KnowledgeBaseIngestion, enable_event_bridge_notifications

        app = App()
        stack = Stack(app, "Example")
        key = kms.Key(stack, "Key", enable_key_rotation=True)
        docs = s3.Bucket(stack, "Docs", encryption=s3.BucketEncryption.KMS, encryption_key=key, enforce_ssl=True,
                         server_access_logs_prefix="logs/")
        enable_event_bridge_notifications(docs)
        kb = KnowledgeBase(stack, "Guide", props=KnowledgeBaseProps(name="guide", description="Operations guide"),
                           source_bucket=docs, source_key=key, vector_key=key, resource_prefix="app-dev",
                           retain_data=False)
        KnowledgeBaseIngestion(stack, "Ingestion", knowledge_bases=[kb], metrics_namespace="app-dev/KnowledgeBases",
                               log_retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY)
    """

    def __init__(self, scope: Construct, construct_id: str, *, knowledge_bases: Sequence[KnowledgeBase],
                 metrics_namespace: str, log_retention: logs.RetentionDays, removal_policy: RemovalPolicy,
                 log_encryption_key: kms.IKey | None = None, alarm_action: cw.IAlarmAction | None = None) -> None:
        super().__init__(scope, construct_id)
        self.metrics_namespace = metrics_namespace
        self._names = [kb.props.name for kb in knowledge_bases]
        self.dead_letters = sqs.Queue(self, "DeadLetters", encryption=sqs.QueueEncryption.SQS_MANAGED,
                                      enforce_ssl=True, retention_period=Duration.days(14))
        self.queue = sqs.Queue(
            self, "SyncRequests", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
            delivery_delay=DEBOUNCE, visibility_timeout=VISIBILITY_TIMEOUT,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=MAX_RECEIVES),
        )
        settings = contract.IngestionSettings(data_sources=tuple(
            contract.DataSourceTarget(name=kb.props.name, knowledge_base_id=kb.knowledge_base_id,
                                      data_source_id=kb.data_source_id, bucket_name=kb.source_bucket.bucket_name,
                                      prefix=kb.prefix)
            for kb in knowledge_bases))
        self.worker = PythonFunction(
            self, "Worker", asset=FUNCTION_ASSET, handler=FUNCTION_HANDLER, service_name=SERVICE_NAME,
            metrics_namespace=metrics_namespace, memory_size=256, timeout=Duration.seconds(60),
            reserved_concurrency=1,  # one worker at a time: two batches never race to start a job
            log_retention=log_retention, removal_policy=removal_policy, log_encryption_key=log_encryption_key,
            description="Starts Bedrock knowledge-base ingestion jobs (debounced) and reports their status",
            environment=settings.to_env(),
        )
        self.function = self.worker.function
        for kb in knowledge_bases:
            kb.grant_sync(self.function)
        self.function.add_event_source(event_sources.SqsEventSource(
            self.queue, batch_size=100, max_batching_window=Duration.seconds(30), report_batch_item_failures=True))

        for index, kb in enumerate(knowledge_bases):
            object_filter = {"key": [{"prefix": kb.prefix}]} if kb.prefix else {}
            events.Rule(
                self, f"SourceChanged{index}", description=f"Objects of knowledge base {kb.props.name} changed",
                event_pattern=events.EventPattern(
                    source=["aws.s3"], detail_type=["Object Created", "Object Deleted"],
                    detail={"bucket": {"name": [kb.source_bucket.bucket_name]}, **(
                        {"object": object_filter} if object_filter else {})}),
                targets=[targets.SqsQueue(self.queue, dead_letter_queue=self.dead_letters)],
            )
        events.Rule(
            self, "StackDeployed", description="This stack finished a deployment: sync every data source once",
            event_pattern=events.EventPattern(
                source=["aws.cloudformation"], detail_type=["CloudFormation Stack Status Change"],
                detail={"stack-id": [Aws.STACK_ID],
                        "status-details": {"status": ["CREATE_COMPLETE", "UPDATE_COMPLETE"]}}),
            targets=[targets.SqsQueue(self.queue, dead_letter_queue=self.dead_letters)],
        )
        events.Rule(
            self, "StatusSchedule", description="Publish each data source's latest ingestion job as metrics",
            schedule=events.Schedule.rate(STATUS_PERIOD),
            targets=[targets.LambdaFunction(self.function, retry_attempts=0, dead_letter_queue=self.dead_letters)],
        )

        self.alarms: list[cw.Alarm] = []
        for kb in knowledge_bases:
            self.alarms.append(self.metric(contract.LATEST_JOB_FAILED, kb.props.name, statistic="Maximum").create_alarm(
                self, f"IngestionFailed{kb.node.id}",
                alarm_description=f"The latest ingestion job of knowledge base {kb.props.name} failed: see the "
                                  "job's failure reasons (bedrock-agent get-ingestion-job) and the source documents",
                threshold=1, evaluation_periods=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            ))
        self.alarms.append(self.dead_letters.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(5), statistic="Maximum").create_alarm(
            self, "SyncRequestsDeadLettered",
            alarm_description="Sync requests were dead-lettered: a data source stayed busy for 4 hours or the worker "
                              "failed; inspect the worker's logs, then redrive the dead-letter queue",
            threshold=1, evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        ))
        if alarm_action is not None:
            for alarm in self.alarms:
                alarm.add_alarm_action(alarm_action)
        self._acknowledge()

    def metric(self, name: str, knowledge_base: str, *, statistic: str = "Maximum",
               period: Duration = STATUS_PERIOD) -> cw.Metric:
        """One of the worker's metrics (names in ``kb_ingestion.settings_contract``) for one knowledge base."""
        return cw.Metric(namespace=self.metrics_namespace, metric_name=name, statistic=statistic, period=period,
                         dimensions_map={contract.KNOWLEDGE_BASE_DIMENSION: knowledge_base, "service": SERVICE_NAME})

    def dashboard_widgets(self) -> list[cw.IWidget]:
        """Per knowledge base: the latest job's document counts and status; then the sync queue."""
        widgets: list[cw.IWidget] = []
        for name in self._names:
            widgets.append(cw.GraphWidget(
                title=f"{name}: documents (latest job)", width=6, height=6,
                left=[self.metric(contract.DOCUMENTS_SCANNED, name, statistic="Maximum"),
                      self.metric(contract.DOCUMENTS_INDEXED, name, statistic="Maximum"),
                      self.metric(contract.DOCUMENTS_DELETED, name, statistic="Maximum"),
                      self.metric(contract.DOCUMENTS_FAILED, name, statistic="Maximum")],
                left_y_axis=cw.YAxisProps(min=0, show_units=False)))
            widgets.append(cw.GraphWidget(
                title=f"{name}: ingestion jobs", width=6, height=6,
                left=[self.metric(contract.LATEST_JOB_FAILED, name, statistic="Maximum"),
                      self.metric(contract.JOB_RUNNING, name, statistic="Maximum"),
                      self.metric(contract.JOBS_STARTED, name, statistic="Sum")],
                left_y_axis=cw.YAxisProps(min=0, show_units=False)))
        widgets.append(cw.GraphWidget(
            title="Sync requests waiting / dead-lettered", width=6, height=6,
            left=[self.queue.metric_approximate_number_of_messages_visible(statistic="Maximum"),
                  self.dead_letters.metric_approximate_number_of_messages_visible(statistic="Maximum")],
            left_y_axis=cw.YAxisProps(min=0, show_units=False)))
        return widgets

    def _acknowledge(self) -> None:
        for rule in ("Serverless-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ"):
            acknowledge(self.function, rule, "SQS invokes the worker synchronously through an event source mapping "
                                             "whose queue has its own dead-letter queue; the status schedule is "
                                             "re-run every period, so a lost invocation needs no dead letter")
        acknowledge(self.function, "NIST.800.53.R5-LambdaInsideVPC",
                    "the worker calls only the bedrock-agent API over TLS with SigV4 and reaches nothing inside a VPC")
        acknowledge(self.worker.role.policy, "AwsSolutions-IAM5",
                    "X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) have no resource types: they "
                    "take only Resource '*'", findings=["Resource::*"])
        for rule in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
            acknowledge(self.dead_letters, rule, "this queue is the dead-letter queue of the sync requests and of the "
                                                 "rules' targets; a dead-letter queue of its own would only move the "
                                                 "same messages again")
        acknowledge(self.function, "Serverless-LambdaEventSourceMappingDestination",
                    "an SQS event source fails over through the queue's redrive policy (dead-letter queue after "
                    f"{MAX_RECEIVES} receives); Lambda's on-failure destinations apply to stream and Kafka sources")
