"""The ``evaluation`` section: the evaluation state machine, its judge and the release gate of one environment.

    "evaluation": {
      "enabled": true,
      "models": ["eu.amazon.nova-lite-v1:0"],            # default: the environment's Bedrock allow-list
      "max_concurrency": 4,                              # orchestrator calls in flight
      "judge": {"model": "eu.anthropic.claude-haiku-4-5-20251001-v1:0", "metrics": ["Builtin.Correctness"]},
      "gate": {"thresholds": {"answer": {"token_f1": 0.5}}, "max_regression": 0.05, "require_judge": false,
               "in_pipeline": true},
      "report_retention_days": 365
    }

The gate (thresholds, regression, judge) applies wherever a run is gated: ``make evaluate GATE=1``, the CDK
pipeline's and the GitHub workflow's step after this environment deploys (``gate.in_pipeline``). A bad value fails
synth naming ``environments.<env>.evaluation.<key>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdk.components.evaluation_pipeline.props import (
    JUDGE_METRICS,
    MAX_CONCURRENCY,
    EvaluationPipelineProps,
    EvaluationPropsError,
    JudgeProps,
)
from cdk.config.api import ApiConfig
from cdk.config.bedrock import BedrockConfig
from cdk.config.fields import ConfigError, Section
from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()  # lambdas/<function>/ on sys.path for the runtime contract below

# isort: split
from evaluation_metrics.gate import GateSettings  # noqa: E402


@dataclass(frozen=True)
class EvaluationConfig:
    """``pipeline`` is None when ``enabled`` is false (no state machine); the gate applies either way."""

    pipeline: EvaluationPipelineProps | None = None
    gate: GateSettings = field(default_factory=GateSettings)
    gate_in_pipeline: bool = False
    concurrency: int = 4


def _judge(section: Section, bedrock: BedrockConfig) -> JudgeProps | None:
    if not section.has("judge"):
        return None
    judge = section.section("judge")
    model_id = judge.string("model", choices=[m.id for m in bedrock.models])
    model = bedrock.model(model_id)
    defaults = JudgeProps(model_id="-", foundation_model_id="-", inference_profile=False)
    try:
        props = JudgeProps(
            model_id=model.id,
            foundation_model_id=model.foundation_model_id,
            inference_profile=model.routing != "in_region",
            destination_regions=tuple(model.destination_regions),
            metrics=judge.string_list("metrics", list(defaults.metrics), min_items=1, max_items=25,
                                      item=lambda path, v: _choice(path, v, JUDGE_METRICS)),
            poll_seconds=judge.integer("poll_seconds", defaults.poll_seconds, minimum=60, maximum=3_600),
            max_polls=judge.integer("max_polls", defaults.max_polls, minimum=1, maximum=500),
        )
    except EvaluationPropsError as error:
        raise ConfigError(judge.child_path(error.field), error.message) from None
    judge.finish()
    return props


def _choice(path: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(path, f"{value!r} is not allowed; allowed values: {', '.join(allowed)}")
    return value


def _gate(section: Section) -> tuple[GateSettings, bool]:
    gate = section.section("gate")
    thresholds = gate.raw("thresholds", {})
    if not isinstance(thresholds, Mapping) or not all(isinstance(v, Mapping) for v in thresholds.values()):
        raise ConfigError(gate.child_path("thresholds"), "expected an object of use case -> {metric: number}")
    try:  # GateSettings (the runtime contract) states the allowed use cases, metrics and ranges once
        settings = GateSettings(
            thresholds=thresholds,
            max_regression=gate.number("max_regression", GateSettings.max_regression, minimum=0, maximum=1),
            require_judge=gate.boolean("require_judge", False),
        )
    except ValueError as error:
        field, _, message = str(error).partition(": ")
        raise ConfigError(gate.child_path(field), message) from None
    in_pipeline = gate.boolean("in_pipeline", False)
    gate.finish()
    return settings, in_pipeline


def parse_evaluation(section: Section, *, bedrock: BedrockConfig, api: ApiConfig) -> EvaluationConfig:
    """Parse ``environments.<name>.evaluation`` against the environment's allow-list and API limits."""
    enabled = section.boolean("enabled", False)
    allowed = [m.id for m in bedrock.models]
    models = section.string_list("models", allowed, min_items=1, item=lambda path, v: _choice(path, v, tuple(allowed)))
    # Evaluation traffic shares the API function's reserved concurrency and the stage's throttle with callers:
    # at most half of either.
    ceiling = max(1, min(MAX_CONCURRENCY, api.lambda_reserved_concurrency // 2, api.throttle_burst_limit // 2))
    concurrency = section.integer("max_concurrency", min(4, ceiling), minimum=1, maximum=ceiling)
    judge = _judge(section, bedrock)
    gate, in_pipeline = _gate(section)
    if gate.require_judge and judge is None:
        raise ConfigError(section.child_path("gate.require_judge"), "is true but evaluation.judge is not configured")
    try:
        pipeline = EvaluationPipelineProps(
            models=tuple(models),
            gate_json=gate.to_json(),
            max_concurrency=concurrency,
            judge=judge,
            report_retention_days=section.integer("report_retention_days", 365, minimum=1, maximum=3_650),
        )
    except EvaluationPropsError as error:
        raise ConfigError(section.child_path(error.field), error.message) from None
    section.finish()
    return EvaluationConfig(pipeline=pipeline if enabled else None, gate=gate, gate_in_pipeline=in_pipeline,
                            concurrency=concurrency)
