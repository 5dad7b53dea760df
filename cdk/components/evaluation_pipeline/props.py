"""Typed arguments of :class:`~cdk.components.evaluation_pipeline.EvaluationPipeline` (CDK-free, so the config
reader builds them directly and each default and bound is stated once).

Bounds verified against botocore 1.44.8's ``bedrock`` service model (``CreateEvaluationJob``):
``EvaluationMetricNames`` 1..25 names; ``BedrockEvaluatorModels`` exactly 1 judge; the LLM-as-a-judge built-in
metric names are the ones its ``metricNames`` documentation lists (:data:`JUDGE_METRICS`). A judge job over
bring-your-own responses evaluates one inference source (``EvaluationModelConfigs`` max 2; automated jobs take
one), so the state machine starts one judge job per candidate model. A prompt dataset holds at most 1,000
prompts (Bedrock user guide, "Create a prompt dataset for a model evaluation job that uses a model as judge").
"""

from __future__ import annotations

from dataclasses import dataclass

JUDGE_METRICS = (
    "Builtin.Correctness", "Builtin.Completeness", "Builtin.Faithfulness", "Builtin.Helpfulness", "Builtin.Coherence",
    "Builtin.Relevance", "Builtin.FollowingInstructions", "Builtin.ProfessionalStyleAndTone", "Builtin.Harmfulness",
    "Builtin.Stereotyping", "Builtin.Refusal",
)
MAX_JUDGE_PROMPTS = 1_000
MAX_CONCURRENCY = 100
DEFAULT_NAMESPACE = "GenAiStack/Evaluation"


class EvaluationPropsError(ValueError):
    """An argument is invalid; ``field`` names it (the config reader prefixes its key path)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class JudgeProps:
    """The Bedrock judge: an allow-listed model, by the id the allow-list uses; ``inference_profile`` when
    that id is a cross-Region profile (``eu.``/``us.``/``global.``), whose ``foundation_model_id`` runs in
    ``destination_regions`` (what the evaluation role may invoke)."""

    model_id: str
    foundation_model_id: str
    inference_profile: bool
    destination_regions: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ("Builtin.Correctness", "Builtin.Completeness", "Builtin.Faithfulness",
                                "Builtin.Harmfulness")
    poll_seconds: int = 300
    max_polls: int = 48  # 4 h at the default poll interval

    def __post_init__(self) -> None:
        if not self.metrics or len(self.metrics) > 25:
            raise EvaluationPropsError("metrics", "expected 1 to 25 built-in metric names")
        for index, metric in enumerate(self.metrics):
            if metric not in JUDGE_METRICS:
                raise EvaluationPropsError(f"metrics[{index}]", f"{metric!r} is not allowed; allowed values: "
                                                                 + ", ".join(JUDGE_METRICS))
        if not 60 <= self.poll_seconds <= 3_600:
            raise EvaluationPropsError("poll_seconds", f"{self.poll_seconds} is out of range; allowed: [60, 3600]")
        if not 1 <= self.max_polls <= 500:
            raise EvaluationPropsError("max_polls", f"{self.max_polls} is out of range; allowed: [1, 500]")


@dataclass(frozen=True)
class EvaluationPipelineProps:
    """``max_concurrency``: orchestrator invocations in flight (keep it under the API function's reserved
    concurrency and the stage's throttle); ``models``: the default candidate models of an execution;
    ``gate_json``: the release gate (``evaluation_metrics.gate.GateSettings.to_json()``);
    ``report_retention_days``: how long reports and responses are kept."""

    models: tuple[str, ...]
    gate_json: str
    max_concurrency: int = 4
    judge: JudgeProps | None = None
    report_retention_days: int = 365
    metrics_namespace: str = DEFAULT_NAMESPACE

    def __post_init__(self) -> None:
        if not self.models:
            raise EvaluationPropsError("models", "expected at least one candidate model")
        if not 1 <= self.max_concurrency <= MAX_CONCURRENCY:
            raise EvaluationPropsError("max_concurrency",
                                       f"{self.max_concurrency} is out of range; allowed: [1, {MAX_CONCURRENCY}]")
        if not 1 <= self.report_retention_days <= 3_650:
            raise EvaluationPropsError("report_retention_days",
                                       f"{self.report_retention_days} is out of range; allowed: [1, 3650]")
