"""The API side of grounded answers: the orchestrator's KNOWLEDGE_BASES variable is written from the knowledge stack's
descriptors through the runtime's settings contract (and parses back), and the guardrail of an environment with
knowledge bases carries detect-only contextual grounding filters."""

from __future__ import annotations

import json
import re

from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()

# isort: split
from orchestrator.knowledge_settings import parse_knowledge_bases  # noqa: E402

from tests.infra.synth import function_variables  # noqa: E402


def _function_variables(stack, handler: str = "handler.handler") -> dict:
    """The buffered routes' function (``handler.handler``) or the streamed routes' (``run.sh``)."""
    (fn,) = [f for f in stack.resources_of_type("AWS::Lambda::Function").values() if f["Properties"]["Handler"] == handler]
    return function_variables(stack.resources, fn)


def _guardrail(stack) -> dict:
    (guardrail,) = stack.resources_of_type("AWS::Bedrock::Guardrail").values()
    return guardrail["Properties"]


def test_dev_writes_its_knowledge_base_through_the_settings_contract(synthesized):
    value = _function_variables(synthesized.stack("dev", "Api"))["KNOWLEDGE_BASES"]
    # The id is the knowledge stack's output, a token at synth (${ImportValue:...KnowledgeBaseId...}); stand in a
    # valid id to parse the rest back.
    tokens = re.findall(r"\$\{[^}]*\}", value)
    assert len(tokens) == 1 and "KnowledgeBaseId" in tokens[0]
    parsed = parse_knowledge_bases(json.loads(value.replace(tokens[0], "KB12345678")))
    kb = parsed["operations-guide"]
    assert (kb.filterable_keys, kb.max_results, kb.min_score, kb.grounded_use_cases) == (("topic",), 5, 0.3, ("answer",))
    assert (kb.below_threshold, kb.retrieved_text_pii) == ("reject", "mask")
    # The streamed routes ground their answers from the same settings.
    assert _function_variables(synthesized.stack("dev", "Api"), "run.sh")["KNOWLEDGE_BASES"] == value


def test_environments_without_knowledge_bases_write_none(synthesized):
    for env in ("staging", "prod"):
        for handler in ("handler.handler", "run.sh"):
            assert "KNOWLEDGE_BASES" not in _function_variables(synthesized.stack(env, "Api"), handler)
        assert "ContextualGroundingPolicyConfig" not in _guardrail(synthesized.stack(env, "Bedrock"))


def test_the_dev_guardrail_scores_grounding_in_detect_only_mode(synthesized):
    policy = _guardrail(synthesized.stack("dev", "Bedrock"))["ContextualGroundingPolicyConfig"]
    assert sorted((f["Type"], f["Threshold"], f["Action"], f["Enabled"]) for f in policy["FiltersConfig"]) == [
        ("GROUNDING", 0.75, "NONE", True),
        ("RELEVANCE", 0.5, "NONE", True),
    ]
