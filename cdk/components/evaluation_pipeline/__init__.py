"""The evaluation state machine of one environment. ``props`` is CDK-free (config imports it); the construct loads
lazily."""

from cdk.components.evaluation_pipeline.props import EvaluationPipelineProps, EvaluationPropsError, JudgeProps

__all__ = ["EvaluationPipeline", "EvaluationPipelineProps", "EvaluationPropsError", "JudgeProps"]


def __getattr__(name: str):
    if name == "EvaluationPipeline":
        from cdk.components.evaluation_pipeline.construct import EvaluationPipeline

        return EvaluationPipeline
    raise AttributeError(name)
