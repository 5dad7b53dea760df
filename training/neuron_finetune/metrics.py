"""The held-out metrics the fine-tuning gate reads: one log line, and the regexes that capture it (stdlib only).

The training job's ``AlgorithmSpecification.MetricDefinitions`` (``cdk/components/trainium_training``) use
:data:`METRIC_DEFINITIONS`, so the line written here and the patterns SageMaker applies to the job's log are defined
once. SageMaker keeps each metric's last captured value in ``DescribeTrainingJob``'s ``FinalMetricDataList``
(botocore's SageMaker model: ``MetricDefinition`` = ``Name`` (1-255 characters) + ``Regex`` (1-500 characters)).
"""

from __future__ import annotations

import math
import sys

EVAL_LOSS = "eval_loss"
PERPLEXITY = "perplexity"
_NUMBER = r"([0-9.eE+-]+)"
# Name -> regex; the first group is the value. The trailing ";" keeps a pattern from matching a longer name's prefix.
METRIC_DEFINITIONS = ((EVAL_LOSS, f"{EVAL_LOSS}={_NUMBER};"), (PERPLEXITY, f"{PERPLEXITY}={_NUMBER};"))
# exp(x) overflows a float above log(max float) (~709.78): cap there, so a diverged run reports a huge perplexity
# (rejected against any baseline) instead of raising OverflowError.
_MAX_LOG = math.log(sys.float_info.max)


def perplexity(eval_loss: float) -> float:
    """exp(mean token cross-entropy), capped at the largest float; NaN stays NaN."""
    if math.isnan(eval_loss):
        return math.nan
    return math.exp(min(eval_loss, _MAX_LOG))


def metric_line(eval_loss: float) -> str:
    """The log line the MetricDefinitions capture, e.g. ``gate metrics: eval_loss=1.5; perplexity=4.48169;``.

    A non-finite loss writes no values: the metrics are then missing, and the pipeline's gate fails closed.
    """
    if not math.isfinite(eval_loss):
        return f"gate metrics: none (eval loss is {eval_loss})"
    return f"gate metrics: {EVAL_LOSS}={eval_loss:.6g}; {PERPLEXITY}={perplexity(eval_loss):.6g};"
