"""Citations from the knowledge-base search tools' results.

A search tool (``AgentSettings.search_tools``; the Gateway target's ``knowledge_tool.py``) returns
``{"knowledge_base", "note", "documents": [{"n", "source", "score", "text"}]}``, numbered 1..n per call.
Before the model sees a result, its documents are renumbered across the run (the second search's first
document follows the first search's last) and cut to the tool-result budget by whole documents, best
first, so every number the model may cite names one document it saw. The answer's citations are the
documents it cites as ``[n]``, in order of first citation. A result of any other shape passes unchanged
(and cites nothing).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

EXCERPT_CHARS = 200
_CITATION_RE = re.compile(r"\[(\d{1,3})\]")


@dataclass(frozen=True)
class Citation:
    n: int
    knowledge_base: str
    source: str
    score: float
    excerpt: str

    def describe(self) -> dict[str, Any]:
        return {"n": self.n, "knowledge_base": self.knowledge_base, "source": self.source, "score": self.score,
                "excerpt": self.excerpt}


def renumber(text: str, *, first: int, budget: int) -> tuple[str, list[Citation]]:
    """The result with its documents numbered from ``first`` and at most ``budget`` characters long."""
    try:
        result = json.loads(text)
        documents = result["documents"]
        knowledge_base = str(result["knowledge_base"])
        if not isinstance(documents, list):
            raise TypeError("documents")
    except (ValueError, KeyError, TypeError):
        return text, []
    kept: list[dict[str, Any]] = []
    citations: list[Citation] = []
    for document in documents:
        if not isinstance(document, dict) or not isinstance(document.get("text"), str):
            continue
        numbered = {**document, "n": first + len(kept)}
        if len(_encode({**result, "documents": [*kept, numbered]})) > budget:
            break
        kept.append(numbered)
        body = numbered["text"]
        excerpt = body if len(body) <= EXCERPT_CHARS else body[: EXCERPT_CHARS - 1].rstrip() + "…"
        citations.append(Citation(numbered["n"], knowledge_base, str(document.get("source", "unknown")),
                                  float(document.get("score") or 0.0), excerpt))
    return _encode({**result, "documents": kept}), citations


def cited(answer: str, citations: Sequence[Citation]) -> list[dict[str, Any]]:
    by_number = {citation.n: citation for citation in citations}
    numbers = dict.fromkeys(int(match) for match in _CITATION_RE.findall(answer))
    return [by_number[n].describe() for n in numbers if n in by_number]


def _encode(result: dict[str, Any]) -> str:
    return json.dumps(result, ensure_ascii=False, separators=(",", ":"))
