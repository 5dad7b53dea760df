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
