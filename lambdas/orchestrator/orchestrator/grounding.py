"""Grounded answers around a model call (:class:`Grounding`, built once in ``handler.py``):

1. retrieve with the *masked* question (PII the caller sent reaches no model, the embedding model
   included) and keep the chunks scoring at least ``min_score``;
2. no chunk left: **no model call**. The answer is :data:`NO_DOCUMENTS_ANSWER` with no citations
   and ``grounding.answered`` false (a model told "answer only from these documents" with none would
   answer "I don't know" anyway, at the price of a model call, or worse, from its own memory);
3. screen the chunks through the input policy (:meth:`SafetyGate.screen_documents`: PII masked
   unless the knowledge base's ``retrieved_text_pii`` is ``allow``) in their own screening, so their
   placeholders are never restored for the caller;
4. after the model: the citations the answer makes, and the guardrail's contextual grounding check
   (``ApplyGuardrail``, source OUTPUT, the documents qualified ``grounding_source``, the question
   ``query`` and the answer ``guard_content``). Below the knowledge base's grounding or relevance
   threshold: 422 ``not_grounded`` (``below_threshold: reject``) or the answer with
   ``grounding.passed`` false (``flag``). An answer that is "I don't know" and cites nothing is not
   checked (it would score as ungrounded and be rejected for being honest).

Verified in botocore's ``bedrock-runtime`` service model (this session): ``GuardrailTextBlock``
``{"text", "qualifiers"}`` with ``GuardrailContentQualifier`` ``grounding_source | query |
guard_content``; the response's ``assessments[].contextualGroundingPolicy.filters[]`` carry
``type`` (GROUNDING | RELEVANCE), ``threshold``, ``score``, ``action`` and ``detected``. The scores
are compared here with the knowledge base's own thresholds, so one guardrail serves knowledge bases
with different thresholds (its filters are configured in detect-only mode, action NONE; see
``cdk/components/bedrock_guardrail``). Unverified: the check's size limits; the documented ones as
the author remembers them (grounding source 100,000, query 1,000, answer 5,000 characters) are
applied by truncation below.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from .deadline import Deadline, DeadlinePassed, bound_to
from .errors import Blocked, DependencyUnavailable, from_aws_error
from .observability import logger
from .retrieval import Document, RetrievalPlan, Retriever, citations
from .safety_gate import SafetyGate

NO_DOCUMENTS_ANSWER = "I don't know: no document in the knowledge base matched the question closely enough."
#: Kept back from the model's time budget for the grounding check after it.
GROUNDING_CHECK_SECONDS = 3.0
MAX_GROUNDING_SOURCE_CHARS = 100_000
MAX_GROUNDING_QUERY_CHARS = 1_000
MAX_GROUNDED_ANSWER_CHARS = 5_000
_DONT_KNOW_RE = re.compile(r"^\W*i\s+do(?:n['’]t|\s+not)\s+know\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class GroundedContext:
    """What one grounded request retrieved: the documents as the model sees them (screened)."""

    plan: RetrievalPlan
    query: str  # the masked question
    documents: tuple[Document, ...]
    screening: dict[str, Any] | None = None  # the documents' safety analysis (None: not screened)

    @property
    def knowledge_base(self) -> str:
        return self.plan.knowledge_base.name

    def texts(self) -> list[str]:
        return [doc.text for doc in self.documents]

    def summary(self, **fields: Any) -> dict[str, Any]:
        """The response's ``grounding`` object: knowledge base, documents used, and ``fields``."""
        grounding: dict[str, Any] = {"knowledge_base": self.knowledge_base, "documents": len(self.documents), **fields}
        if self.screening is not None:
            grounding["safety"] = self.screening
        return grounding

    def no_documents(self) -> dict[str, Any]:
        """The response fields of a request whose retrieval found nothing (no model was called)."""
        return {"citations": [], "grounding": self.summary(answered=False, reason="no_documents", min_score=self.plan.min_score)}


class ContextualGroundingCheck:
    """The guardrail's contextual grounding check on one answer (``ApplyGuardrail``)."""

    def __init__(self, clients: Any, *, guardrail_arn: str, guardrail_version: str) -> None:
        self._clients = clients
        self._arn = guardrail_arn
        self._version = guardrail_version

    def scores(self, *, documents: Sequence[str], query: str, answer: str, deadline: Deadline) -> dict[str, float] | None:
        """``{"GROUNDING": s, "RELEVANCE": s}``, or None when no guardrail is configured or it reports no
        contextual grounding assessment (the guardrail has no such policy)."""
        if not self._arn:
            return None
        source = "\n\n".join(documents)[:MAX_GROUNDING_SOURCE_CHARS]
        try:
            with bound_to(deadline):
                response = self._clients.client("bedrock-runtime").apply_guardrail(
                    guardrailIdentifier=self._arn,
                    guardrailVersion=self._version,
                    source="OUTPUT",
                    content=[
                        {"text": {"text": source, "qualifiers": ["grounding_source"]}},
                        {"text": {"text": query[:MAX_GROUNDING_QUERY_CHARS], "qualifiers": ["query"]}},
                        {"text": {"text": answer[:MAX_GROUNDED_ANSWER_CHARS], "qualifiers": ["guard_content"]}},
                    ],
                )
        except DeadlinePassed:
            raise DependencyUnavailable("the contextual grounding check could not run within the request's time budget") from None
        except Exception as exc:  # noqa: BLE001 - fail closed: 429/503, never a 500
            raise from_aws_error(exc, dependency="the contextual grounding check") from None
        found: dict[str, float] = {}
        try:
            for assessment in response.get("assessments") or ():
                for item in (assessment.get("contextualGroundingPolicy") or {}).get("filters") or ():
                    found[str(item["type"])] = float(item["score"])
        except (AttributeError, KeyError, TypeError, ValueError):
            raise DependencyUnavailable("the contextual grounding check returned a malformed answer; try again") from None
        return found if {"GROUNDING", "RELEVANCE"} <= set(found) else None


class Grounding:
    """Retrieval, document screening and the grounding check, composed over the service's adapters."""

    def __init__(self, retriever: Retriever, check: ContextualGroundingCheck, safety: SafetyGate) -> None:
        self.retriever = retriever
        self.check = check
        self.safety = safety

    def prepare(self, plan: RetrievalPlan, *, query: str, reserved: str, deadline: Deadline, guardrail: bool) -> GroundedContext:
        """Retrieve for the masked ``query`` and screen what came back (``reserved``: the caller's
        placeholders, so the documents' number past them)."""
        documents = self.retriever.retrieve(plan, query, deadline)
        context = GroundedContext(plan=plan, query=query, documents=documents)
        if not documents or plan.knowledge_base.retrieved_text_pii == "allow":
            return context
        masked, screening = self.safety.screen_documents([doc.text for doc in documents], reserved=reserved, guardrail=guardrail)
        screened = tuple(doc.with_text(text) for doc, text in zip(documents, masked, strict=True))
        return replace(context, documents=screened, screening=screening.analysis)

    def finish(self, context: GroundedContext, answer: str, deadline: Deadline) -> dict[str, Any]:
        """The response fields for ``answer`` (screened, placeholders not yet restored): its citations
        and the grounding check's verdict. Raises 422 ``not_grounded`` when the knowledge base rejects
        answers below its thresholds."""
        kb = context.plan.knowledge_base
        cited = citations(answer, context.documents)
        if not cited and _DONT_KNOW_RE.match(answer.strip()):
            return {"citations": [], "grounding": context.summary(answered=False, reason="model_did_not_know")}
        scores = self.check.scores(documents=context.texts(), query=context.query, answer=answer, deadline=deadline)
        if scores is None:
            logger.warning("contextual grounding check not evaluated", extra={"knowledge_base": kb.name})
            return {"citations": cited, "grounding": context.summary(answered=True, checked=False)}
        verdict = {
            "grounding": {"score": round(scores["GROUNDING"], 4), "threshold": kb.grounding_threshold},
            "relevance": {"score": round(scores["RELEVANCE"], 4), "threshold": kb.relevance_threshold},
        }
        passed = scores["GROUNDING"] >= kb.grounding_threshold and scores["RELEVANCE"] >= kb.relevance_threshold
        if not passed and kb.below_threshold == "reject":
            raise Blocked(
                f"the answer is not grounded enough in knowledge base {kb.name}'s documents "
                "(contextual grounding check below its thresholds); rephrase the question or ask about what the documents cover",
                code="not_grounded",
                field="output",
                extra={"check": "contextual_grounding", "details": verdict},
            )
        return {"citations": cited, "grounding": context.summary(answered=True, checked=True, passed=passed, **verdict)}
