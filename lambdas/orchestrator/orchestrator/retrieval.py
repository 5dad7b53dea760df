"""Retrieval for grounded answers: which knowledge base and how (:func:`plan_retrieval`, the
request's ``knowledge_base`` and ``retrieval`` fields checked against the deployment), the
``bedrock-agent-runtime`` ``Retrieve`` call (:class:`Retriever`, built once in ``handler.py``), and
the citations an answer makes (:func:`citations`).

``Retrieve``, not ``RetrieveAndGenerate``: the service's own prompt building, safety screening,
parameter mapping and backends (Inferentia included) still apply to the answer.

Request shape checked against botocore's ``bedrock-agent-runtime`` service model (this session):
``knowledgeBaseId`` (10 letters or digits), ``retrievalQuery.text`` (at most 20,000 characters),
``retrievalConfiguration.vectorSearchConfiguration`` ``numberOfResults`` (1..100) and ``filter``
(``equals`` / ``in`` take ``{"key", "value"}``; ``andAll`` takes at least 2 filters). Results carry
``content.text``, ``location`` (``s3Location.uri`` for S3 data sources), ``metadata`` and ``score``.
Unverified: the range of ``score`` for S3 Vectors indexes (treated as "higher is more relevant",
compared with ``min_score`` as given).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .deadline import Deadline, DeadlinePassed, bound_to
from .errors import DependencyUnavailable, ValidationError, from_aws_error
from .knowledge_settings import KnowledgeBaseSettings
from .observability import logger
from .settings import Settings
from .validation import _shown as shown_name

#: Retrieve's retrievalQuery.text maximum (botocore KnowledgeBaseQueryTextString).
MAX_QUERY_CHARS = 20_000
#: What the prompt takes of the retrieved text: each chunk and all of them together (the rest is
#: dropped, lowest score first), so the screening and the model's context stay bounded.
MAX_CHUNK_CHARS = 8_000
MAX_DOCUMENTS_CHARS = 40_000
EXCERPT_CHARS = 200
#: Where Bedrock puts a chunk's source when the location has none (the S3 data source's metadata).
SOURCE_METADATA_KEY = "x-amz-bedrock-kb-source-uri"
_CITATION_RE = re.compile(r"\[(\d{1,3})\]")
# Control characters (but tab and newlines) that documents may carry (form feeds from PDFs): the
# safety screening rejects them in caller text, so retrieved text is cleaned of them first.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")


@dataclass(frozen=True, slots=True)
class RetrievalPlan:
    knowledge_base: KnowledgeBaseSettings
    max_results: int
    min_score: float
    filter: Mapping[str, str | tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Document:
    """One retrieved chunk above ``min_score``; ``n`` is its number in the prompt (1-based)."""

    n: int
    text: str
    source: str
    score: float

    def with_text(self, text: str) -> Document:
        return Document(n=self.n, text=text, source=self.source, score=self.score)

    def citation(self) -> dict[str, Any]:
        excerpt = self.text if len(self.text) <= EXCERPT_CHARS else self.text[: EXCERPT_CHARS - 1].rstrip() + "…"
        return {"n": self.n, "source": self.source, "score": round(self.score, 4), "excerpt": excerpt}


# --------------------------------------------------------------------------- the request's fields
def plan_retrieval(data: Mapping[str, Any], use_case_id: str, settings: Settings) -> RetrievalPlan | None:
    """The request's retrieval, or None for an ungrounded request. The shape is already checked by
    the schema; here: the knowledge base exists and every filter key is one of its filterable keys.
    ``knowledge_base`` absent: the use case's default (if any); ``null``: no retrieval."""
    if "knowledge_base" in data:
        name = data["knowledge_base"]
    else:
        name = next((kb.name for kb in settings.knowledge_bases.values() if use_case_id in kb.grounded_use_cases), None)
    raw = data.get("retrieval") or {}
    if name is None:
        if raw:
            raise ValidationError(
                "retrieval needs a knowledge base: set knowledge_base to one of GET /v1/knowledge-bases "
                f"{sorted(settings.knowledge_bases)}",
                field="retrieval",
            )
        return None
    kb = settings.knowledge_bases.get(name)
    if kb is None:
        raise ValidationError(
            f"knowledge_base must be one of the names from GET /v1/knowledge-bases: {sorted(settings.knowledge_bases)}",
            field="knowledge_base",
        )
    filters: dict[str, str | tuple[str, ...]] = {}
    for key, value in (raw.get("filter") or {}).items():
        if key not in kb.filterable_keys:
            # The key is the caller's: named in the message only as a short identifier, never logged (the
            # error's field is its parent, as for any unknown field).
            shown = shown_name(key)
            what = f"retrieval.filter.{shown[1:-1]}" if shown.startswith('"') else f"retrieval.filter has {shown}: it"
            raise ValidationError(
                f"{what} is not a filterable key of knowledge base {kb.name}; filterable keys: {list(kb.filterable_keys)}",
                field="retrieval.filter",
            )
        filters[key] = value if isinstance(value, str) else tuple(value)
    return RetrievalPlan(
        knowledge_base=kb,
        max_results=raw.get("max_results", kb.max_results),
        min_score=float(raw.get("min_score", kb.min_score)),
        filter=filters,
    )


# --------------------------------------------------------------------------- Retrieve
def retrieval_filter(filters: Mapping[str, str | tuple[str, ...]]) -> dict[str, Any] | None:
    """``{"k": "v"}`` -> equals; ``{"k": ["a", "b"]}`` -> in; several keys -> andAll (all must hold)."""
    clauses = [
        {"equals": {"key": key, "value": value}} if isinstance(value, str) else {"in": {"key": key, "value": list(value)}}
        for key, value in sorted(filters.items())
    ]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"andAll": clauses}


class Retriever:
    """``Retrieve`` on the function's knowledge bases. The client comes from :class:`AwsClients`
    on the first grounded request (an ungrounded request never builds it: no cold-start cost)."""

    def __init__(self, clients: Any) -> None:
        self._clients = clients

    def retrieve(self, plan: RetrievalPlan, query: str, deadline: Deadline) -> tuple[Document, ...]:
        kb = plan.knowledge_base
        if deadline.expired():
            raise DependencyUnavailable(f"no time left in the request's budget to query knowledge base {kb.name}")
        search: dict[str, Any] = {"numberOfResults": plan.max_results}
        query_filter = retrieval_filter(plan.filter)
        if query_filter is not None:
            search["filter"] = query_filter
        try:
            with bound_to(deadline):  # no attempt (first or retry) starts after the request's deadline
                response = self._clients.client("bedrock-agent-runtime").retrieve(
                    knowledgeBaseId=kb.knowledge_base_id,
                    retrievalQuery={"text": query[:MAX_QUERY_CHARS]},
                    retrievalConfiguration={"vectorSearchConfiguration": search},
                )
        except DeadlinePassed:
            raise DependencyUnavailable(f"knowledge base {kb.name} did not answer within the request's time budget") from None
        except Exception as exc:  # noqa: BLE001 - every botocore failure becomes 429/503, never a 500
            raise from_aws_error(exc, dependency=f"knowledge base {kb.name}") from None
        try:
            return select_documents(response.get("retrievalResults") or (), plan.min_score)
        except (AttributeError, TypeError, ValueError) as exc:
            logger.warning("malformed Retrieve response", extra={"knowledge_base": kb.name, "error_type": type(exc).__name__})
            raise DependencyUnavailable(f"knowledge base {kb.name} returned a malformed answer; try again") from None


def select_documents(results: Sequence[Mapping[str, Any]], min_score: float) -> tuple[Document, ...]:
    """Text chunks scoring at least ``min_score``, best first, within the size bounds, numbered 1..n."""
    scored = []
    for result in results:
        text = (result.get("content") or {}).get("text")
        score = float(result.get("score") or 0.0)
        if isinstance(text, str) and text.strip() and score >= min_score:
            text = _CONTROL_RE.sub(" ", text[:MAX_CHUNK_CHARS]).encode("utf-8", "replace").decode("utf-8")
            scored.append((score, text, _source(result)))
    scored.sort(key=lambda item: -item[0])
    documents: list[Document] = []
    total = 0
    for score, text, source in scored:
        if total + len(text) > MAX_DOCUMENTS_CHARS:
            break
        total += len(text)
        documents.append(Document(n=len(documents) + 1, text=text, source=source, score=score))
    return tuple(documents)


def _source(result: Mapping[str, Any]) -> str:
    location = result.get("location") or {}
    for value in location.values():
        if isinstance(value, Mapping):
            uri = value.get("uri") or value.get("url")
            if isinstance(uri, str) and uri:
                return uri
    uri = (result.get("metadata") or {}).get(SOURCE_METADATA_KEY)
    return uri if isinstance(uri, str) and uri else str(result.get("documentId") or "unknown")


# --------------------------------------------------------------------------- citations
def cited_numbers(answer: str, count: int) -> list[int]:
    """The document numbers ``[n]`` the answer cites (1..count), in order of first citation."""
    seen = dict.fromkeys(int(match) for match in _CITATION_RE.findall(answer))
    return [n for n in seen if 1 <= n <= count]


def citations(answer: str, documents: Sequence[Document]) -> list[dict[str, Any]]:
    """Only the documents the answer cites, in order of first citation."""
    by_number = {doc.n: doc for doc in documents}
    return [by_number[n].citation() for n in cited_numbers(answer, len(documents))]
