"""Builds the app from context: validated config -> one account Stage per account+region and one Stage per
selected environment -> policy gates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App

from cdk.config import AppConfig, load_app_config
from cdk.config.app import CONTEXT_KEYS
from cdk.policy import apply_policy_gates


def read_context(app: App) -> dict[str, Any]:
    return {key: app.node.try_get_context(key) for key in CONTEXT_KEYS if app.node.try_get_context(key) is not None}


def build_app(app: App | None = None, *, context: Mapping[str, Any] | None = None) -> App:
    """Build every selected environment's Stage on ``app``; raises ConfigError on bad config."""
    from stacks.account_stack import AccountStage  # after config parses, so a bad cdk.json fails fast
    from stacks.stage import GenAiStage

    app = app or App()
    config: AppConfig = load_app_config(context if context is not None else read_context(app))
    # The account-level singletons of each selected environment's account and region, deployed before it.
    account_stages = {place.stage_id: AccountStage(app, place=place) for place in config.selected_account_places()}
    stages = {env.name: GenAiStage(app, env.name, config=env) for env in config.selected()}
    # Delivery wraps every environment (`-c env=NAME` builds one environment only). Its module (aws_cdk.pipelines,
    # CodeBuild, CodePipeline: ~0.1 s of imports per synth) is loaded only when cdk.json configures a pipeline or
    # GitHub OIDC, the stacks add_delivery_stacks builds.
    if config.selected_name is None and (config.pipeline is not None or config.github is not None):
        from stacks.pipeline_stack import add_delivery_stacks

        add_delivery_stacks(app, config, stages, account_stages)
    apply_policy_gates(app)
    return app
