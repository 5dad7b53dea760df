"""Bring-your-own-responses datasets for Bedrock model evaluation jobs (LLM as a judge).

Line format (Bedrock user guide, "Prepare a dataset for an evaluation job using your own inference response
data"): ``{"prompt", "referenceResponse", "category", "modelResponses": [{"response", "modelIdentifier"}]}``;
``modelIdentifier`` must equal the job's ``precomputedInferenceSource.inferenceSourceIdentifier`` (pattern
``[a-zA-Z0-9]([a-zA-Z0-9._-]){0,255}``, botocore bedrock service-2). At most 1,000 prompts a job.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .requests import output_text

MAX_PROMPTS = 1_000
_SOURCE_UNSAFE = re.compile(r"[^a-zA-Z0-9._-]+")
_JOB_UNSAFE = re.compile(r"[^a-z0-9]+")


def source_identifier(model: str) -> str:
    return _SOURCE_UNSAFE.sub("-", model).strip("-._")[:256] or "model"


def job_name(environment: str, run_id: str, model: str) -> str:
    """A job name unique per run and model, matching ``[a-z0-9](-*[a-z0-9]){0,62}``."""
    digest = hashlib.sha256(f"{run_id}/{model}".encode()).hexdigest()[:10]
    stem = _JOB_UNSAFE.sub("-", f"{environment}-{model}".lower()).strip("-")[:50].strip("-")
    return f"{stem}-{digest}"


def _prompt(item: Mapping[str, Any]) -> str:
    context = item.get("context")
    return f"{item['input']}\n\nContext:\n{context}" if context else item["input"]


def _reference(item: Mapping[str, Any]) -> str:
    if "label" in item:
        return item["label"]
    reference = item["references"][0]
    return reference if isinstance(reference, str) else json.dumps(reference, ensure_ascii=False)


def dataset_lines(records: Iterable[Mapping[str, Any]], model: str) -> list[str]:
    """The judge dataset of ``model``'s successful answers (the first :data:`MAX_PROMPTS`)."""
    source = source_identifier(model)
    lines = []
    for record in records:
        if record["model"] != model or record["status"] != 200:
            continue
        item = record["item"]
        lines.append(json.dumps({
            "prompt": _prompt(item),
            "referenceResponse": _reference(item),
            "category": item["use_case"],
            "modelResponses": [{"response": output_text(record["body"]), "modelIdentifier": source}],
        }, ensure_ascii=False))
        if len(lines) == MAX_PROMPTS:
            break
    return lines
