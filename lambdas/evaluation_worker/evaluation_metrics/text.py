"""Text-overlap metrics: exact match and token F1 (hand-written, SQuAD-style), ROUGE-L (rouge-score) and
chrF (sacrebleu).

Normalization, for English and Spanish alike: Unicode NFKC, lowercase, accents removed (so "está" and
"esta" match), punctuation removed, English and Spanish articles removed, whitespace collapsed. Every
metric takes the best score over the item's references.

rouge-score and sacrebleu are imported lazily: the CLI has them (requirements-dev.txt), the evaluation
worker Lambda does not (see its requirements.txt), where :func:`library_available` is False and the
scorer reports those metrics as unavailable instead of computing a different number under the same name.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import Any

_ARTICLES = frozenset({"a", "an", "the", "el", "la", "los", "las", "un", "una", "unos", "unas"})
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)

#: metric name -> the distribution that computes it
LIBRARY_METRICS = {"rouge_l": "rouge_score", "chrf": "sacrebleu"}


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """The normalized tokens of ``text`` (see the module docstring)."""
    cleaned = _NON_WORD.sub(" ", _strip_accents(unicodedata.normalize("NFKC", text).lower()).replace("_", " "))
    return [token for token in cleaned.split() if token not in _ARTICLES]


def normalize(text: str) -> str:
    return " ".join(tokens(text))


def exact_match(prediction: str, references: Sequence[str]) -> float:
    """1.0 when the normalized prediction equals a normalized reference, else 0.0."""
    predicted = normalize(prediction)
    return 1.0 if any(predicted == normalize(ref) for ref in references) else 0.0


def _f1(predicted: list[str], reference: list[str]) -> float:
    if not predicted or not reference:
        return 1.0 if predicted == reference else 0.0
    common = sum((Counter(predicted) & Counter(reference)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(reference)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, references: Sequence[str]) -> float:
    """Bag-of-tokens F1 between the prediction and the best reference."""
    predicted = tokens(prediction)
    return max((_f1(predicted, tokens(ref)) for ref in references), default=0.0)


def library_available(metric: str) -> bool:
    return importlib.util.find_spec(LIBRARY_METRICS[metric]) is not None


class _Tokenizer:
    """rouge-score's own tokenizer keeps only [a-z0-9] (it would split "está" into "est"); ours keeps
    Spanish words whole and matches token F1's normalization."""

    def tokenize(self, text: str) -> list[str]:
        return tokens(text)


@cache
def _rouge_scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], tokenizer=_Tokenizer())


@cache
def _chrf() -> Any:
    from sacrebleu.metrics import CHRF

    return CHRF()  # chrF with sacrebleu's defaults: character 6-grams, beta 2, no word n-grams


def rouge_l(prediction: str, references: Sequence[str]) -> float:
    """ROUGE-L F-measure (longest common subsequence) against the best reference, from rouge-score."""
    scorer = _rouge_scorer()
    return max((scorer.score(ref, prediction)["rougeL"].fmeasure for ref in references), default=0.0)


def chrf(prediction: str, references: Sequence[str]) -> float:
    """Sentence-level chrF in [0, 1] against the best reference, from sacrebleu (its scores are 0-100)."""
    metric = _chrf()
    return max((metric.sentence_score(prediction, [ref]).score / 100.0 for ref in references), default=0.0)
