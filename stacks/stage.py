"""One environment (dev, staging, prod, dev-alice, ...) as a CDK Stage.

The same Stage serves workstation deploys (``cdk deploy 'dev/*'``) and the delivery pipeline, so there
is one definition of an environment.
"""

from __future__ import annotations

from aws_cdk import Environment, Stage, Tags
from constructs import Construct

from cdk.config import EnvironmentConfig
from stacks.alerting_stack import AlertingStack


class GenAiStage(Stage):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=config.account, region=config.region),
            **kwargs,
        )
        self.config = config
        Tags.of(self).add("project", config.project)
        Tags.of(self).add("environment", config.name)
        for key, value in config.tags.items():
            Tags.of(self).add(key, value)

        # Order matters only for readability: CDK derives deployment order from references.
        self.alerting = AlertingStack(
            self,
            "Alerting",
            stack_name=config.stack_name("alerting"),
            description=f"{config.project} {config.name}: the alarm notification topic",
            config=config,
        )
