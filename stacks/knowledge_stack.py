"""Knowledge bases for grounded answers: per configured knowledge base, a source bucket (created here, or an existing
one), S3 Vectors storage, the Bedrock knowledge base and data source; one ingestion worker keeps them in sync.

Composed by the stage only when ``knowledge_bases`` is configured. Idle cost is storage only: S3 Vectors has no
cluster (compare ~USD 350/month for the smallest OpenSearch Serverless collection), the worker runs on S3 events,
deployments and a 15-minute status schedule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct

from cdk.components.alarm_topic import AlarmTopic
from cdk.components.customer_key import customer_managed_key
from cdk.components.encrypted_log_group import EncryptedLogGroup, LogsEncryptionKey, retention_days
from cdk.components.knowledge_base import KnowledgeBase, KnowledgeBaseDescriptor
from cdk.components.knowledge_base_ingestion import KnowledgeBaseIngestion, enable_event_bridge_notifications
from cdk.components.secure_bucket import AccessLogsBucket, SecureBucket
from cdk.components.secure_bucket.deployment import acknowledge_bucket_deployment
from cdk.config import EnvironmentConfig

SAMPLE_CORPUS = Path(__file__).resolve().parents[1] / "knowledge" / "sample_corpus"
SAMPLE_CORPUS_PREFIX = "sample-corpus/"


class KnowledgeStack(Stack):
    """Exposes ``knowledge_bases`` (name -> :class:`KnowledgeBase`), ``descriptors``, ``ingestion`` and
    ``grant_retrieve(grantee)`` (every knowledge base of the environment)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig,
                 alarm_topic: AlarmTopic | None = None, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if not config.knowledge_bases:
            raise ValueError(f"environments.{config.name}.knowledge_bases is empty: compose this stack only when set")
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        prefix = f"{config.project}-{config.name}"
        self.key = customer_managed_key(self, "Key", description=f"Encrypts {prefix}'s knowledge-base sources and vectors",
                                        removal_policy=removal)
        logs_key = LogsEncryptionKey(self, "LogsKey", description=f"Encrypts the log groups of {self.stack_name}",
                                     removal_policy=removal).key
        access_logs: s3.IBucket | None = None
        log_retention = retention_days(config.log_retention_days)

        self.knowledge_bases: dict[str, KnowledgeBase] = {}
        for props in config.knowledge_bases:
            construct_id_ = _construct_id(props.name)
            source_key: kms.IKey | None = None
            if props.source.bucket_arn is None:
                if access_logs is None:
                    access_logs = AccessLogsBucket(self, "AccessLogs", removal_policy=removal).bucket
                source = SecureBucket(
                    self, f"{construct_id_}Source", encryption_key=self.key, access_logs_bucket=access_logs,
                    removal_policy=removal,
                    replication_reason="the documents' owners keep the originals; the bucket is a copy to index",
                ).bucket
                enable_event_bridge_notifications(source)
                source_key = self.key
            else:
                # An existing bucket: its owner enables EventBridge notifications (README) and, if it uses SSE-KMS
                # with its own key, grants the knowledge base's role kms:Decrypt.
                source = s3.Bucket.from_bucket_arn(self, f"{construct_id_}Source", props.source.bucket_arn)
            kb = KnowledgeBase(self, construct_id_, props=props, source_bucket=source, source_key=source_key,
                               vector_key=self.key, resource_prefix=prefix, retain_data=config.retain_data)
            self.knowledge_bases[props.name] = kb
            if props.sample_corpus:
                self._deploy_sample_corpus(construct_id_, kb, logs_key, removal, log_retention)
            CfnOutput(self, f"{construct_id_}Id", value=kb.knowledge_base_id,
                      description=f"Knowledge base {props.name} (bedrock-agent-runtime retrieve --knowledge-base-id)")
            CfnOutput(self, f"{construct_id_}SourceBucket", value=source.bucket_name,
                      description=f"Upload {props.name}'s documents under s3://<bucket>/{kb.prefix}")

        self.ingestion = KnowledgeBaseIngestion(
            self, "Ingestion", knowledge_bases=list(self.knowledge_bases.values()),
            metrics_namespace=f"{prefix}/KnowledgeBases", log_retention=log_retention,
            removal_policy=removal, log_encryption_key=logs_key,
            alarm_action=alarm_topic.alarm_action if alarm_topic is not None else None,
        )
        self.descriptors: tuple[KnowledgeBaseDescriptor, ...] = tuple(
            kb.descriptor for kb in self.knowledge_bases.values())

    def grant_retrieve(self, grantee: iam.IGrantable) -> None:
        """``bedrock:Retrieve`` on each knowledge base of this environment, by exact ARN."""
        for kb in self.knowledge_bases.values():
            kb.grant_retrieve(grantee)

    @property
    def alarms(self) -> list[cw.IAlarm]:
        return list(self.ingestion.alarms)

    def dashboard_widgets(self) -> list[cw.IWidget]:
        return self.ingestion.dashboard_widgets()

    def _deploy_sample_corpus(self, construct_id_: str, kb: KnowledgeBase, logs_key: kms.IKey,
                              removal: RemovalPolicy, retention: logs.RetentionDays) -> None:
        # The upload's object events trigger the first ingestion (as any upload does). Only the sample prefix is
        # pruned, so documents uploaded next to it stay.
        deployment = s3_deployment.BucketDeployment(
            self, f"{construct_id_}SampleCorpus",
            sources=[s3_deployment.Source.asset(str(SAMPLE_CORPUS))],
            destination_bucket=kb.source_bucket,
            destination_key_prefix=f"{kb.prefix}{SAMPLE_CORPUS_PREFIX}",
            memory_limit=256,
            log_group=EncryptedLogGroup(self, f"{construct_id_}SampleCorpusLogs", retention=retention,
                                        removal_policy=removal, encryption_key=logs_key).log_group,
        )
        acknowledge_bucket_deployment(deployment, destination=kb.source_bucket, purpose="the sample corpus")


def _construct_id(name: str) -> str:
    """operations-guide -> OperationsGuide (stable: logical ids of retained resources derive from it)."""
    return "".join(part.capitalize() for part in name.split("-"))
