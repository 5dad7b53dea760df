"""A Bedrock knowledge base on S3 Vectors: vector bucket and index, knowledge base, S3 data source, service role.

L1 throughout, on purpose: aws-bedrock-alpha 2.275.0a0's ``KnowledgeBase`` offers only
``VectorStore.open_search_serverless`` (no S3 Vectors store) and has no data-source construct, and aws-cdk-lib
2.275.0 has only the L1s ``aws_s3vectors.CfnVectorBucket`` / ``CfnIndex``. Property names and create-only
properties were checked against those L1s and cfn-lint 1.58's schemas (``AWS::S3Vectors::VectorBucket``,
``AWS::S3Vectors::Index``, ``AWS::Bedrock::KnowledgeBase``, ``AWS::Bedrock::DataSource``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3vectors as s3vectors
from constructs import Construct

from cdk.components.knowledge_base.props import (
    BEDROCK_NON_FILTERABLE_KEYS,
    EMBEDDING_MODELS,
    FixedSizeChunking,
    HierarchicalChunking,
    KnowledgeBaseDescriptor,
    KnowledgeBaseProps,
    SemanticChunking,
)
from cdk.components.managed_policy_role import ManagedPolicyRole
from cdk.policy import acknowledge

# The S3 Vectors data-plane actions Bedrock performs with the knowledge base's role while ingesting (put,
# get and delete vectors) and retrieving (query). Per the Bedrock S3 Vectors knowledge-base setup; the exact
# list was not re-read in this session.
VECTOR_INDEX_ACTIONS = ("s3vectors:GetIndex", "s3vectors:QueryVectors", "s3vectors:PutVectors",
                        "s3vectors:GetVectors", "s3vectors:DeleteVectors")


def create_only_fingerprint(props: KnowledgeBaseProps) -> str:
    """8 hex characters of the settings CloudFormation cannot change in place (embedding model, dimensions,
    chunking): they are part of the knowledge base's and data source's names, so changing them creates new ones
    (named resources cannot be replaced under the same name) which the post-deploy sync then fills."""
    settings = {"embedding": asdict(props.embedding), "chunking": [type(props.chunking).__name__,
                                                                   asdict(props.chunking)]}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:8]


class KnowledgeBase(Construct):
    """One Bedrock knowledge base (VECTOR, S3_VECTORS storage) over documents in an S3 bucket.

    - a KMS-encrypted S3 Vectors bucket and index whose dimension and metric follow the embedding model, with
      Bedrock's chunk-text and metadata keys non-filterable (they exceed the 2 KB filterable-metadata limit);
    - a service role trusted by Bedrock only for knowledge bases of this account and Region (confused-deputy
      conditions), allowed to invoke exactly the embedding model, read the source prefix, and use the index;
    - the knowledge base and its S3 data source (chunking from ``props``); with ``retain_data`` both keep their
      vectors (DataDeletionPolicy RETAIN) and every resource is retained by CloudFormation.

    CloudFormation never syncs a data source: pair it with :class:`KnowledgeBaseIngestion`.

    Example::

        from aws_cdk import App, Stack
        from aws_cdk import aws_iam as iam
        from aws_cdk import aws_kms as kms
        from aws_cdk import aws_s3 as s3

        from cdk.components.knowledge_base import KnowledgeBase, KnowledgeBaseProps

        app = App()
        stack = Stack(app, "Example")
        key = kms.Key(stack, "Key", enable_key_rotation=True)
        docs = s3.Bucket(stack, "Docs", encryption=s3.BucketEncryption.KMS, encryption_key=key, enforce_ssl=True,
                         server_access_logs_prefix="logs/")
        kb = KnowledgeBase(stack, "Guide", props=KnowledgeBaseProps(name="guide", description="Operations guide"),
                           source_bucket=docs, source_key=key, vector_key=key, resource_prefix="app-dev",
                           retain_data=False)
        kb.grant_retrieve(iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")))
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: KnowledgeBaseProps, source_bucket: s3.IBucket,
                 vector_key: kms.IKey, resource_prefix: str, retain_data: bool,
                 source_key: kms.IKey | None = None) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.source_bucket = source_bucket
        self.prefix = props.source.inclusion_prefixes[0] if props.source.inclusion_prefixes else ""
        stack = Stack.of(self)
        removal = RemovalPolicy.RETAIN if retain_data else RemovalPolicy.DESTROY
        fingerprint = create_only_fingerprint(props)

        self.vector_bucket = s3vectors.CfnVectorBucket(
            self, "VectorBucket",
            encryption_configuration=s3vectors.CfnVectorBucket.EncryptionConfigurationProperty(
                sse_type="aws:kms", kms_key_arn=vector_key.key_arn),
        )
        # S3 Vectors maintains indexes in the background as indexing.s3vectors.amazonaws.com, which must be able to
        # decrypt with the key (S3 Vectors data-encryption guide; the aws-cdk generative-ai constructs grant the same).
        # Scoped to this account's vector buckets: naming this bucket would make the key depend on it (a cycle).
        vector_key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowS3VectorsIndexing",
            principals=[iam.ServicePrincipal("indexing.s3vectors.amazonaws.com")],
            actions=["kms:Decrypt"],
            resources=["*"],  # in a key policy, "*" is this key
            conditions={
                "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                "ArnLike": {"aws:SourceArn": stack.format_arn(service="s3vectors", resource="bucket",
                                                              resource_name="*")},
            },
        ))
        self.index = s3vectors.CfnIndex(
            self, "Index",
            vector_bucket_arn=self.vector_bucket.attr_vector_bucket_arn,
            data_type="float32",  # the only type S3 Vectors supports; Bedrock embeds as FLOAT32 to match
            dimension=props.embedding.dimensions,
            distance_metric=props.embedding.distance_metric,
            metadata_configuration=s3vectors.CfnIndex.MetadataConfigurationProperty(
                non_filterable_metadata_keys=list(BEDROCK_NON_FILTERABLE_KEYS)),
        )

        self.role = ManagedPolicyRole(
            self, "ServiceRole",
            description=f"Bedrock knowledge base {props.name}: embed, read the source, write and query the index",
            # Bedrock KB service-role guide: aws:SourceAccount plus ArnLike aws:SourceArn on knowledge-base ARNs.
            # The exact ARN cannot be named: the knowledge base references this role (a cycle).
            assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                "ArnLike": {"aws:SourceArn": stack.format_arn(service="bedrock", resource="knowledge-base",
                                                              resource_name="*")},
            }),
        )
        embedding_model_arn = stack.format_arn(service="bedrock", account="", resource="foundation-model",
                                               resource_name=props.embedding.model_id)
        self.role.add_to_principal_policy(iam.PolicyStatement(
            sid="EmbedWithTheConfiguredModel", actions=["bedrock:InvokeModel"], resources=[embedding_model_arn]))
        list_conditions = {"StringLike": {"s3:prefix": [f"{self.prefix}*"]}} if self.prefix else None
        self.role.add_to_principal_policy(iam.PolicyStatement(
            sid="ListTheSource", actions=["s3:ListBucket"], resources=[source_bucket.bucket_arn],
            conditions=list_conditions))
        self.role.add_to_principal_policy(iam.PolicyStatement(
            sid="ReadTheSource", actions=["s3:GetObject"],
            resources=[source_bucket.arn_for_objects(f"{self.prefix}*")]))
        acknowledge(self.role.policy, "AwsSolutions-IAM5",
                    "the data source reads every document under its inclusion prefix; their keys are the corpus, "
                    "unknown at deploy time", findings=[f"Resource::{_nag_arn(source_bucket)}/{self.prefix}*"])
        if source_key is not None:
            self.role.add_to_principal_policy(iam.PolicyStatement(
                sid="DecryptTheSource", actions=["kms:Decrypt"], resources=[source_key.key_arn]))
        self.role.add_to_principal_policy(iam.PolicyStatement(
            sid="UseTheVectorIndex", actions=list(VECTOR_INDEX_ACTIONS), resources=[self.index.attr_index_arn]))
        self.role.add_to_principal_policy(iam.PolicyStatement(
            sid="EncryptVectors", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[vector_key.key_arn]))

        spec = EMBEDDING_MODELS[props.embedding.model_id]
        self.knowledge_base = bedrock.CfnKnowledgeBase(
            self, "KnowledgeBase",
            name=f"{resource_prefix}-{props.name}-{fingerprint}",
            description=props.description,
            role_arn=self.role.role_arn,
            knowledge_base_configuration=bedrock.CfnKnowledgeBase.KnowledgeBaseConfigurationProperty(
                type="VECTOR",
                vector_knowledge_base_configuration=bedrock.CfnKnowledgeBase.VectorKnowledgeBaseConfigurationProperty(
                    embedding_model_arn=embedding_model_arn,
                    embedding_model_configuration=bedrock.CfnKnowledgeBase.EmbeddingModelConfigurationProperty(
                        bedrock_embedding_model_configuration=(
                            bedrock.CfnKnowledgeBase.BedrockEmbeddingModelConfigurationProperty(
                                # Only a model with a choice of dimensions takes them (Titan V2).
                                dimensions=props.embedding.dimensions if len(spec.dimensions) > 1 else None,
                                embedding_data_type="FLOAT32"))),
                ),
            ),
            storage_configuration=bedrock.CfnKnowledgeBase.StorageConfigurationProperty(
                type="S3_VECTORS",
                s3_vectors_configuration=bedrock.CfnKnowledgeBase.S3VectorsConfigurationProperty(
                    index_arn=self.index.attr_index_arn),
            ),
        )
        # Bedrock checks the role's access when it creates the knowledge base: the policy must exist first.
        self.knowledge_base.node.add_dependency(self.role.policy)

        self.data_source = bedrock.CfnDataSource(
            self, "DataSource",
            knowledge_base_id=self.knowledge_base.attr_knowledge_base_id,
            name=f"{props.name}-s3-{fingerprint}",
            description=f"Documents of {props.name} under the source prefix '{self.prefix or '(whole bucket)'}'",
            data_deletion_policy="RETAIN" if retain_data else "DELETE",
            data_source_configuration=bedrock.CfnDataSource.DataSourceConfigurationProperty(
                type="S3",
                s3_configuration=bedrock.CfnDataSource.S3DataSourceConfigurationProperty(
                    bucket_arn=source_bucket.bucket_arn,
                    inclusion_prefixes=list(props.source.inclusion_prefixes) or None),
            ),
            vector_ingestion_configuration=bedrock.CfnDataSource.VectorIngestionConfigurationProperty(
                chunking_configuration=_chunking(props)),
        )
        for resource in (self.vector_bucket, self.index, self.knowledge_base, self.data_source):
            resource.apply_removal_policy(removal)

        self.knowledge_base_id = self.knowledge_base.attr_knowledge_base_id
        self.knowledge_base_arn = self.knowledge_base.attr_knowledge_base_arn
        self.data_source_id = self.data_source.attr_data_source_id
        self.descriptor = KnowledgeBaseDescriptor(
            name=props.name, knowledge_base_id=self.knowledge_base_id, knowledge_base_arn=self.knowledge_base_arn,
            description=props.description, filterable_keys=props.filterable_keys, retrieval=props.retrieval,
            grounded_use_cases=props.grounded_use_cases, grounding=props.grounding,
            retrieved_text_pii=props.retrieved_text_pii,
        )

    def grant_retrieve(self, grantee: iam.IGrantable) -> iam.Grant:
        """``bedrock:Retrieve`` on exactly this knowledge base (the orchestrator calls Retrieve, never
        RetrieveAndGenerate: its own prompts, filters and backends must apply)."""
        return iam.Grant.add_to_principal(grantee=grantee, actions=["bedrock:Retrieve"],
                                          resource_arns=[self.knowledge_base_arn])

    def grant_sync(self, grantee: iam.IGrantable) -> iam.Grant:
        """Start and list ingestion jobs of this knowledge base (its data sources)."""
        return iam.Grant.add_to_principal(grantee=grantee,
                                          actions=["bedrock:StartIngestionJob", "bedrock:ListIngestionJobs"],
                                          resource_arns=[self.knowledge_base_arn])


def _nag_arn(bucket: s3.IBucket) -> str:
    """How cdk-nag prints the bucket's ARN in a finding: ``<LogicalId.Arn>`` for a bucket of this app."""
    cfn_bucket = bucket.node.default_child
    if isinstance(cfn_bucket, s3.CfnBucket):
        return f"<{Stack.of(cfn_bucket).get_logical_id(cfn_bucket)}.Arn>"
    return bucket.bucket_arn


def _chunking(props: KnowledgeBaseProps) -> bedrock.CfnDataSource.ChunkingConfigurationProperty:
    cfn = bedrock.CfnDataSource
    chunking = props.chunking
    if isinstance(chunking, FixedSizeChunking):
        return cfn.ChunkingConfigurationProperty(
            chunking_strategy="FIXED_SIZE",
            fixed_size_chunking_configuration=cfn.FixedSizeChunkingConfigurationProperty(
                max_tokens=chunking.max_tokens, overlap_percentage=chunking.overlap_percentage))
    if isinstance(chunking, SemanticChunking):
        return cfn.ChunkingConfigurationProperty(
            chunking_strategy="SEMANTIC",
            semantic_chunking_configuration=cfn.SemanticChunkingConfigurationProperty(
                max_tokens=chunking.max_tokens, buffer_size=chunking.buffer_size,
                breakpoint_percentile_threshold=chunking.breakpoint_percentile_threshold))
    if isinstance(chunking, HierarchicalChunking):
        return cfn.ChunkingConfigurationProperty(
            chunking_strategy="HIERARCHICAL",
            hierarchical_chunking_configuration=cfn.HierarchicalChunkingConfigurationProperty(
                level_configurations=[
                    cfn.HierarchicalChunkingLevelConfigurationProperty(max_tokens=chunking.parent_max_tokens),
                    cfn.HierarchicalChunkingLevelConfigurationProperty(max_tokens=chunking.child_max_tokens)],
                overlap_tokens=chunking.overlap_tokens))
    return cfn.ChunkingConfigurationProperty(chunking_strategy="NONE")
