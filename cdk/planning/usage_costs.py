"""Usage-based cost per 1,000 requests, per use case and model, for one environment.

Read as data: the prompt catalog (``lambdas/orchestrator/prompt_catalog.json``: each use case's prompt text and
default ``max_new_tokens``), the model catalog (``cdk/config/bedrock_models.json``: USD per 1,000 tokens by
invocation tier) and the environment's synthesized templates (the orchestrator's memory and architecture, whether a
WAF web ACL fronts the API, which guardrail policies are configured). Stated assumptions (module constants):

- a request carries ``TYPICAL_INPUT_CHARS`` characters of caller input; the prompt adds the use case's system,
  instruction and template text; ``CHARS_PER_TOKEN`` characters make a token (English prose);
- the model answers with the use case's default ``max_new_tokens`` (an upper bound: most answers stop earlier);
- the safety filters call Comprehend DetectDominantLanguage on the input, DetectPiiEntities and DetectToxicContent on
  the input and the output: each call bills units of 100 characters, at least 3 units per request (Amazon Comprehend
  pricing page); the guardrail screens the whole prompt and the answer in text units of 1,000 characters, once per
  configured paid policy (content filters, denied topics, managed PII entities, contextual grounding);
- the orchestrator runs ``LAMBDA_OVERHEAD_SECONDS`` plus the answer's generation at ``OUTPUT_TOKENS_PER_SECOND``;
- each request logs ``LOG_BYTES_PER_REQUEST`` to CloudWatch Logs (function + API access logs); a chat request reads
  and writes its history (``CHAT_READ_UNITS`` / ``CHAT_WRITE_UNITS`` on-demand DynamoDB request units).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdk.planning.service_prices import Price, ServicePrices

__all__ = ["TYPICAL_INPUT_CHARS", "UsageRow", "load_catalog", "load_models", "usage_rows"]

ROOT = Path(__file__).resolve().parents[2]
PROMPT_CATALOG = ROOT / "lambdas" / "orchestrator" / "prompt_catalog.json"
MODEL_CATALOG = ROOT / "cdk" / "config" / "bedrock_models.json"

TYPICAL_INPUT_CHARS = 2_000
CHARS_PER_TOKEN = 4
LAMBDA_OVERHEAD_SECONDS = 0.3
OUTPUT_TOKENS_PER_SECOND = 80
LOG_BYTES_PER_REQUEST = 4_096
CHAT_READ_UNITS = 2
CHAT_WRITE_UNITS = 4
COMPREHEND_CHARS_PER_UNIT = 100
COMPREHEND_MIN_UNITS = 3
GUARDRAIL_CHARS_PER_TEXT_UNIT = 1_000
TOXICITY_SEGMENT_CHARS = 1_000
TOXICITY_SEGMENTS_PER_CALL = 10
# Guardrail policy (template property) -> the price of 1,000 text units it screens. Word filters and regex-only
# sensitive-information filters are free.
GUARDRAIL_POLICY_PRICES = {
    "ContentPolicyConfig": "guardrail.content_filter_1k_text_units",
    "TopicPolicyConfig": "guardrail.denied_topic_1k_text_units",
    "SensitiveInformationPolicyConfig": "guardrail.sensitive_information_1k_text_units",
    "ContextualGroundingPolicyConfig": "guardrail.contextual_grounding_1k_text_units",
}
_PER = 1_000  # requests


@dataclass(frozen=True)
class UsageRow:
    use_case: str
    model: str
    input_tokens: int
    output_tokens: int
    model_usd: float | None
    safety_usd: float | None
    platform_usd: float | None
    notes: tuple[str, ...]

    @property
    def total_usd(self) -> float | None:
        parts = (self.model_usd, self.safety_usd, self.platform_usd)
        return None if any(part is None for part in parts) else sum(parts)


def load_catalog(path: Path = PROMPT_CATALOG) -> list[Mapping[str, Any]]:
    return json.loads(path.read_text())["use_cases"]


def load_models(path: Path = MODEL_CATALOG) -> dict[str, Mapping[str, Any]]:
    return {model["id"]: model for model in json.loads(path.read_text())["models"]}


def _comprehend_units(chars: int) -> int:
    return max(COMPREHEND_MIN_UNITS, math.ceil(chars / COMPREHEND_CHARS_PER_UNIT))


def _toxicity_units(chars: int) -> int:
    calls = max(1, math.ceil(chars / (TOXICITY_SEGMENT_CHARS * TOXICITY_SEGMENTS_PER_CALL)))
    per_call = math.ceil(chars / calls)
    return calls * _comprehend_units(per_call)


def _model_price(allowed_id: str, models: Mapping[str, Mapping[str, Any]]) -> tuple[Mapping[str, float] | None, str]:
    """USD per 1,000 tokens for an allow-list entry ('eu.' + id -> geo, 'global.' + id -> global, else in-Region)."""
    prefix, _, rest = allowed_id.partition(".")
    if rest in models and prefix == "global":
        tier, model_id = "global", rest
    elif rest in models:
        tier, model_id = "geo", rest
    else:
        tier, model_id = "in_region", allowed_id
    model = models.get(model_id)
    if model is None:
        return None, f"{allowed_id}: not in bedrock_models.json"
    pricing = model.get("pricing") or {}
    return pricing.get(tier), f"model prices {pricing.get('as_of', '?')} ({tier}), unverified"


def _sum(prices: Iterable[tuple[float, Price]]) -> float | None:
    total = 0.0
    for quantity, price in prices:
        if price.usd is None:
            return None
        total += quantity * price.usd
    return total


def _billed(policy: str, config: Any) -> bool:
    """Whether a guardrail policy bills per text unit: sensitive-information filters only for managed PII entities
    (regular expressions are free: the policy's regex-only form)."""
    if not config:
        return False
    return policy != "SensitiveInformationPolicyConfig" or bool(config.get("PiiEntitiesConfig"))


@dataclass(frozen=True)
class Platform:
    """What the environment's templates say about the request path."""

    memory_mb: int
    architecture: str
    waf: bool
    guardrail_policies: tuple[str, ...]


def platform_of(templates: Iterable[Mapping[str, Any]]) -> Platform:
    """The orchestrator function (the one behind the REST API: the largest memory in a stack with a RestApi), the
    WAF web ACL and the guardrail's paid policies, from an environment's templates."""
    memory, architecture, waf, policies = 0, "x86_64", False, ()
    for template in templates:
        resources = template.get("Resources", {}).values()
        types = {resource["Type"] for resource in resources}
        waf = waf or "AWS::WAFv2::WebACL" in types
        for resource in resources:
            props = resource.get("Properties", {})
            if (resource["Type"] == "AWS::Lambda::Function" and "AWS::ApiGateway::RestApi" in types
                    and props.get("MemorySize", 128) > memory):
                memory = props.get("MemorySize", 128)
                architecture = (props.get("Architectures") or ["x86_64"])[0]
            if resource["Type"] == "AWS::Bedrock::Guardrail":
                policies = tuple(key for key in GUARDRAIL_POLICY_PRICES if _billed(key, props.get(key)))
    return Platform(memory_mb=memory or 128, architecture=architecture, waf=waf, guardrail_policies=policies)


def usage_rows(allowed_models: Iterable[str], platform: Platform, prices: ServicePrices, region: str, *,
               catalog: list[Mapping[str, Any]] | None = None, models: Mapping[str, Mapping[str, Any]] | None = None,
               input_chars: int = TYPICAL_INPUT_CHARS) -> list[UsageRow]:
    """Cost per 1,000 requests of every use case with every allowed model that can serve it."""
    catalog = load_catalog() if catalog is None else catalog
    models = load_models() if models is None else models

    def price(key: str) -> Price:
        return prices.price(key, region)

    rows = []
    for use_case in catalog:
        prompt_chars = input_chars + sum(len(use_case.get(key, "")) for key in ("system", "instruction", "template"))
        output_tokens = int(use_case.get("default_parameters", {}).get("max_new_tokens", 512))
        input_tokens = math.ceil(prompt_chars / CHARS_PER_TOKEN)
        output_chars = output_tokens * CHARS_PER_TOKEN
        comprehend = (_comprehend_units(input_chars) * 2 + _toxicity_units(input_chars)
                      + _comprehend_units(output_chars) + _toxicity_units(output_chars))
        text_units = (math.ceil(prompt_chars / GUARDRAIL_CHARS_PER_TEXT_UNIT)
                      + math.ceil(output_chars / GUARDRAIL_CHARS_PER_TEXT_UNIT))
        safety = _sum([(comprehend * _PER, price("comprehend.unit"))]
                      + [(text_units * _PER / 1_000, price(GUARDRAIL_POLICY_PRICES[policy]))
                         for policy in platform.guardrail_policies])
        seconds = LAMBDA_OVERHEAD_SECONDS + output_tokens / OUTPUT_TOKENS_PER_SECOND
        gb_seconds = platform.memory_mb / 1024 * seconds
        platform_parts = [
            (gb_seconds * _PER, price(f"lambda.gb_second_{platform.architecture}")),
            (_PER / 1e6, price("lambda.million_requests")),
            (_PER / 1e6, price("apigateway.rest_million_requests")),
            (LOG_BYTES_PER_REQUEST * _PER / 1024**3, price("logs.ingestion_gb")),
        ]
        if platform.waf:
            platform_parts.append((_PER / 1e6, price("waf.million_requests")))
        if use_case.get("family") == "chat":
            platform_parts += [(CHAT_READ_UNITS * _PER / 1e6, price("dynamodb.on_demand_million_reads")),
                               (CHAT_WRITE_UNITS * _PER / 1e6, price("dynamodb.on_demand_million_writes"))]
        platform_usd = _sum(platform_parts)
        for allowed in allowed_models:
            token_price, note = _model_price(allowed, models)
            foundation = models.get(allowed.partition(".")[2]) or models.get(allowed) or {}
            if use_case.get("accepts_image") and not foundation.get("image", False):
                continue
            model_usd = None if token_price is None else _PER * (
                input_tokens * token_price["input"] + output_tokens * token_price["output"]) / 1_000
            rows.append(UsageRow(use_case["id"], allowed, input_tokens, output_tokens, model_usd, safety,
                                 platform_usd, (note,)))
    return rows
