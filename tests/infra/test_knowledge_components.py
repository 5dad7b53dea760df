"""The knowledge-base components' docstring examples run as written on a bare Stack with the AwsSolutions pack
(zero unacknowledged findings): the components acknowledge their own unavoidable findings."""

from __future__ import annotations

import sys
import textwrap

import pytest

from tests.infra.synth import ROOT


@pytest.mark.parametrize("module_name", ["cdk.components.knowledge_base.construct",
                                         "cdk.components.knowledge_base_ingestion.construct"])
def test_the_example_synthesizes_without_findings(module_name):
    import importlib

    from aws_cdk import App, RemovalPolicy, Stack, Validations
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_logs as logs
    from aws_cdk import aws_s3 as s3
    from cdk_nag import AwsSolutionsChecks

    sys.path.insert(0, str(ROOT / "scripts"))
    from build_lambda_assets import build_all

    from cdk.components.knowledge_base import KnowledgeBase, KnowledgeBaseProps
    from cdk.components.knowledge_base_ingestion import KnowledgeBaseIngestion, enable_event_bridge_notifications

    build_all()
    module = importlib.import_module(module_name)
    cls = KnowledgeBase if module_name.endswith("knowledge_base.construct") else KnowledgeBaseIngestion
    example = textwrap.dedent(cls.__doc__.split("Example::", 1)[1])
    assert "app = App()" in example and 'stack = Stack(app, "Example")' in example
    namespace = {**vars(module), "App": App, "Stack": Stack, "RemovalPolicy": RemovalPolicy, "iam": iam, "kms": kms,
                 "logs": logs, "s3": s3, "KnowledgeBase": KnowledgeBase, "KnowledgeBaseProps": KnowledgeBaseProps,
                 "KnowledgeBaseIngestion": KnowledgeBaseIngestion,
                 "enable_event_bridge_notifications": enable_event_bridge_notifications}
    scope = {**namespace, "Validations": Validations, "AwsSolutionsChecks": AwsSolutionsChecks}
    exec(example.replace("app = App()", "app = App()\nValidations.of(app).add_plugins(AwsSolutionsChecks(app))"),  # noqa: S102
         scope)
    scope["app"].synth()  # raises on any unacknowledged finding


@pytest.mark.parametrize(("chunking", "expected"), [
    ("semantic", {"ChunkingStrategy": "SEMANTIC", "SemanticChunkingConfiguration": {
        "MaxTokens": 300, "BufferSize": 0, "BreakpointPercentileThreshold": 95}}),
    ("hierarchical", {"ChunkingStrategy": "HIERARCHICAL", "HierarchicalChunkingConfiguration": {
        "LevelConfigurations": [{"MaxTokens": 1500}, {"MaxTokens": 300}], "OverlapTokens": 60}}),
    ("none", {"ChunkingStrategy": "NONE"}),
])
def test_a_retaining_knowledge_base_keeps_its_vectors_and_chunks_as_configured(chunking, expected):
    from aws_cdk import App, Stack
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_s3 as s3
    from aws_cdk.assertions import Template

    from cdk.components.knowledge_base import KnowledgeBase
    from cdk.components.knowledge_base.props import (
        EmbeddingModel,
        HierarchicalChunking,
        KnowledgeBaseProps,
        KnowledgeBaseSource,
        NoChunking,
        SemanticChunking,
    )

    stack = Stack(App(), "Retaining")
    key = kms.Key(stack, "Key")
    props = KnowledgeBaseProps(
        name="docs", description="Docs", source=KnowledgeBaseSource(inclusion_prefixes=("docs/",)),
        embedding=EmbeddingModel(model_id="cohere.embed-multilingual-v3"),
        chunking={"semantic": SemanticChunking(), "hierarchical": HierarchicalChunking(), "none": NoChunking()}[chunking])
    KnowledgeBase(stack, "Docs", props=props, source_bucket=s3.Bucket(stack, "Source"), vector_key=key,
                  resource_prefix="app-prod", retain_data=True)
    template = Template.from_stack(stack).to_json()["Resources"]
    by_type = {r["Type"]: r for r in template.values()}
    source = by_type["AWS::Bedrock::DataSource"]
    assert source["Properties"]["VectorIngestionConfiguration"]["ChunkingConfiguration"] == expected
    assert source["Properties"]["DataDeletionPolicy"] == "RETAIN"
    assert source["Properties"]["DataSourceConfiguration"]["S3Configuration"]["InclusionPrefixes"] == ["docs/"]
    for resource_type in ("AWS::Bedrock::DataSource", "AWS::Bedrock::KnowledgeBase", "AWS::S3Vectors::Index",
                          "AWS::S3Vectors::VectorBucket"):
        assert by_type[resource_type]["DeletionPolicy"] == "Retain", resource_type
    # Cohere v3 has one dimension: Bedrock takes none in the configuration; the index still says 1024.
    embedding = by_type["AWS::Bedrock::KnowledgeBase"]["Properties"]["KnowledgeBaseConfiguration"][
        "VectorKnowledgeBaseConfiguration"]["EmbeddingModelConfiguration"]["BedrockEmbeddingModelConfiguration"]
    assert "Dimensions" not in embedding and by_type["AWS::S3Vectors::Index"]["Properties"]["Dimension"] == 1024
