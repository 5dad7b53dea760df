from cdk.components.evaluation_pipeline.construct import EvaluationPipeline
from cdk.components.evaluation_pipeline.props import EvaluationPipelineProps, EvaluationPropsError, JudgeProps

__all__ = ["EvaluationPipeline", "EvaluationPipelineProps", "EvaluationPropsError", "JudgeProps"]
