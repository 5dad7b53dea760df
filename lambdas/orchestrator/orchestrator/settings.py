"""The orchestrator function's settings contract: every environment variable the stack writes and
the handler reads, as one typed, frozen value (:class:`Settings`).

Stdlib only. The stack imports it (through ``cdk/runtime_contracts.py``) and writes the variables
with :meth:`Settings.to_environment`; ``handler.py`` parses them once at cold start with
:meth:`Settings.from_environment`. A missing or invalid variable raises :class:`ConfigError`
naming the variable (and the key path inside JSON values) and the allowed values.

``ENVIRONMENT_NAME``              ``^[a-z][a-z0-9-]{0,31}$`` (metric dimension ``environment``)
``POWERTOOLS_SERVICE_NAME``       non-empty (also read by Powertools)
``POWERTOOLS_METRICS_NAMESPACE``  non-empty (also read by Powertools)
``LOG_LEVEL``                     optional, DEBUG|INFO|WARNING|ERROR|CRITICAL (default INFO)
``MODELS``                        JSON list of model objects (``model_spec.py``)
``DEFAULT_MODELS``                JSON ``{"text", "chat", "code", "vision"}`` -> model ids from MODELS
``SAFETY_CONFIG``, ``GUARDRAIL_ARN``, ``GUARDRAIL_VERSION``
                                  the safety package's contract (``safety/settings.py``); the
                                  guardrail is required when MODELS has a Bedrock model
``CONVERSATION_TABLE``            optional, DynamoDB table name; absent only in a function that serves no
                                  conversations (the agents stack's Gateway tool function, which runs
                                  generate only): its chat routes would answer 503
``CONVERSATION_TTL_SECONDS``      60..31536000
``CHAT_HISTORY_MAX_TOKENS``       100..1000000 (history budget, tokens estimated as chars/4)
``REQUEST_DEADLINE_SECONDS``      1..900 (API Gateway integration timeout minus a margin)
``MAX_INPUT_CHARS``               1..1000000 (all user text of one request, summed)
``GUARDRAIL_SCREENS_IMAGES``      optional, true|false (default false): the guardrail's content
                                  filters take the IMAGE input modality; false -> images are refused
``KNOWLEDGE_BASES``               optional JSON list of knowledge-base objects (``knowledge_settings.py``);
                                  absent: no grounded answers
``AGENT_RUNTIME_ARN``             optional, the AgentCore Runtime ARN ``POST /v1/agent`` and
                                  ``/v1/agent/stream`` invoke (``agent_runtime_arn``); absent: those
                                  routes answer 404 ``not_found`` (agents are off in this environment)
``SETTINGS_PARAMETER``            optional, the name of an SSM String parameter holding the
                                  :data:`PARAMETER_VARIABLES` as one JSON object of variable -> value

Where the functions are deployed the JSON variables that grow with the configuration (one entry per model and
knowledge base: :data:`PARAMETER_VARIABLES`) are not environment variables: Lambda refuses a function whose
environment totals more than 4 KB, and they reached ~2.9 of the 4 KB (the streaming function had 69 bytes
left in dev). The stacks write them into one SSM parameter (:meth:`Settings.split_environment`) and the handler
reads it once at cold start (:func:`with_parameter`) before parsing; everything else stays in the environment.
Tests and local tools pass every variable directly, as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from safety.settings import GUARDRAIL_ARN_VARIABLE, GUARDRAIL_VERSION_VARIABLE, SAFETY_CONFIG_VARIABLE, SafetySettings

from .knowledge_settings import KnowledgeBaseSettings, parse_knowledge_bases
from .model_spec import ConfigError, ModelSpec, parse_model

FAMILIES = ("text", "chat", "code", "vision")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_ENV_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
# DynamoDB table names: 3..255 of [a-zA-Z0-9_.-].
_TABLE_RE = re.compile(r"^[a-zA-Z0-9_.-]{3,255}$")
#: The Runtime endpoint POST /v1/agent invokes (InvokeAgentRuntime ``qualifier``) and the API stack's grant names:
#: ``DEFAULT``, the endpoint AgentCore creates with every runtime.
AGENT_RUNTIME_QUALIFIER = "DEFAULT"
#: bedrock-agentcore InvokeAgentRuntime's agentRuntimeArn: the AgentRuntimeArn pattern of botocore's (1.44)
#: bedrock-agentcore-control model. Tokens at synth are written as given and checked here at cold start.
_AGENT_RUNTIME_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:bedrock-agentcore:[a-z0-9-]+:\d{12}:runtime/[a-zA-Z][a-zA-Z0-9_]{0,47}-[a-zA-Z0-9]{10}$"
)

#: The JSON variables kept in the settings parameter where one is named (module doc): each grows with the models
#: and knowledge bases an environment configures.
PARAMETER_VARIABLES = ("MODELS", "DEFAULT_MODELS", SAFETY_CONFIG_VARIABLE, "KNOWLEDGE_BASES")
SETTINGS_PARAMETER_VARIABLE = "SETTINGS_PARAMETER"

__all__ = ["FAMILIES", "LOG_LEVELS", "PARAMETER_VARIABLES", "SETTINGS_PARAMETER_VARIABLE", "ConfigError", "ModelSpec",
           "Settings", "with_parameter"]


@dataclass(frozen=True, slots=True)
class Settings:
    environment: str
    service: str
    metrics_namespace: str
    log_level: str
    models: Mapping[str, ModelSpec]
    default_models: Mapping[str, str]
    safety: SafetySettings  # SAFETY_CONFIG and the guardrail, parsed once
    conversation_table: str | None
    conversation_ttl_seconds: int
    chat_history_max_tokens: int
    request_deadline_seconds: float
    max_input_chars: int
    #: The guardrail judges input images (a content filter with the IMAGE input modality); without
    #: it an image would reach the model unscreened, so requests with images are refused.
    guardrail_screens_images: bool = False
    knowledge_bases: Mapping[str, KnowledgeBaseSettings] = field(default_factory=dict)
    #: POST /v1/agent's AgentCore Runtime; None where agents are off (the agent routes answer 404).
    agent_runtime_arn: str | None = None

    @property
    def guardrail_arn(self) -> str:
        return self.safety.guardrail_arn or ""

    @property
    def guardrail_version(self) -> str:
        return self.safety.guardrail_version or ""

    def model(self, model_id: str) -> ModelSpec | None:
        return self.models.get(model_id)

    def to_environment(self) -> dict[str, str]:
        """The variables :meth:`from_environment` reads. Values may be CloudFormation tokens at
        synth (table name, guardrail ARN, endpoint names): they are written as given."""
        return {
            "ENVIRONMENT_NAME": self.environment,
            "POWERTOOLS_SERVICE_NAME": self.service,
            "POWERTOOLS_METRICS_NAMESPACE": self.metrics_namespace,
            "LOG_LEVEL": self.log_level,
            "MODELS": _compact_json([spec.to_descriptor() for spec in self.models.values()]),
            "DEFAULT_MODELS": _compact_json(dict(self.default_models)),
            **self.safety.to_environment(),
            **({"CONVERSATION_TABLE": self.conversation_table} if self.conversation_table else {}),
            "CONVERSATION_TTL_SECONDS": str(self.conversation_ttl_seconds),
            "CHAT_HISTORY_MAX_TOKENS": str(self.chat_history_max_tokens),
            "REQUEST_DEADLINE_SECONDS": str(self.request_deadline_seconds),
            "MAX_INPUT_CHARS": str(self.max_input_chars),
            "GUARDRAIL_SCREENS_IMAGES": "true" if self.guardrail_screens_images else "false",
            **(
                {"KNOWLEDGE_BASES": _compact_json([kb.to_descriptor() for kb in self.knowledge_bases.values()])}
                if self.knowledge_bases
                else {}
            ),
            **({"AGENT_RUNTIME_ARN": self.agent_runtime_arn} if self.agent_runtime_arn else {}),
        }

    def split_environment(self) -> tuple[dict[str, str], dict[str, str]]:
        """(the environment variables, the settings parameter's variables): :meth:`to_environment` split at
        :data:`PARAMETER_VARIABLES`. The stack stores the second as the parameter's JSON value and adds
        ``SETTINGS_PARAMETER`` (its name) to the first."""
        variables = self.to_environment()
        kept = {name: variables.pop(name) for name in PARAMETER_VARIABLES if name in variables}
        return variables, kept

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        def required(name: str) -> str:
            value = (environ.get(name) or "").strip()
            if not value:
                raise ConfigError(name, "is required and must not be empty")
            return value

        environment = required("ENVIRONMENT_NAME")
        if not _ENV_NAME_RE.match(environment):
            raise ConfigError("ENVIRONMENT_NAME", "must match ^[a-z][a-z0-9-]{0,31}$")
        log_level = (environ.get("LOG_LEVEL") or "INFO").strip().upper()
        if log_level not in LOG_LEVELS:
            raise ConfigError("LOG_LEVEL", f"must be one of {list(LOG_LEVELS)}")

        models_raw = _json(required("MODELS"), "MODELS")
        if not isinstance(models_raw, list) or not models_raw:
            raise ConfigError("MODELS", "must be a non-empty JSON list of model objects")
        models: dict[str, ModelSpec] = {}
        for index, item in enumerate(models_raw):
            spec = parse_model(item, f"MODELS[{index}]")
            if spec.id in models:
                raise ConfigError(f"MODELS[{index}].id", f"duplicate model id {spec.id!r}")
            models[spec.id] = spec

        defaults_raw = _json(required("DEFAULT_MODELS"), "DEFAULT_MODELS")
        if not isinstance(defaults_raw, dict) or set(defaults_raw) != set(FAMILIES):
            raise ConfigError("DEFAULT_MODELS", f"must be a JSON object with exactly the keys {list(FAMILIES)}")
        for family, model_id in defaults_raw.items():
            if model_id not in models:
                raise ConfigError(f"DEFAULT_MODELS.{family}", f"{model_id!r} is not an id in MODELS; allowed: {sorted(models)}")
        if not models[defaults_raw["vision"]].image:
            raise ConfigError("DEFAULT_MODELS.vision", 'must name a model with "image": true')

        try:
            safety = SafetySettings.from_environment(environ)
        except ValueError as exc:  # "<variable or key path>: <reason>"
            variable, _, reason = str(exc).partition(": ")
            raise ConfigError(variable, reason) from None
        if any(m.backend == "bedrock" for m in models.values()) and not safety.guardrail_configured:
            raise ConfigError(
                GUARDRAIL_ARN_VARIABLE,
                f"{GUARDRAIL_ARN_VARIABLE} and {GUARDRAIL_VERSION_VARIABLE} are required: "
                "every Bedrock call carries the guardrail",
            )

        table = (environ.get("CONVERSATION_TABLE") or "").strip() or None
        if table is not None and not _TABLE_RE.match(table):
            raise ConfigError("CONVERSATION_TABLE", "must be a DynamoDB table name (3..255 of [a-zA-Z0-9_.-])")

        return cls(
            environment=environment,
            service=required("POWERTOOLS_SERVICE_NAME"),
            metrics_namespace=required("POWERTOOLS_METRICS_NAMESPACE"),
            log_level=log_level,
            models=models,
            default_models=dict(defaults_raw),
            safety=safety,
            conversation_table=table,
            conversation_ttl_seconds=_int(required("CONVERSATION_TTL_SECONDS"), "CONVERSATION_TTL_SECONDS", 60, 31_536_000),
            chat_history_max_tokens=_int(required("CHAT_HISTORY_MAX_TOKENS"), "CHAT_HISTORY_MAX_TOKENS", 100, 1_000_000),
            request_deadline_seconds=_float(required("REQUEST_DEADLINE_SECONDS"), "REQUEST_DEADLINE_SECONDS", 1.0, 900.0),
            max_input_chars=_int(required("MAX_INPUT_CHARS"), "MAX_INPUT_CHARS", 1, 1_000_000),
            guardrail_screens_images=_bool(environ.get("GUARDRAIL_SCREENS_IMAGES"), "GUARDRAIL_SCREENS_IMAGES"),
            knowledge_bases=_knowledge_bases(environ.get("KNOWLEDGE_BASES")),
            agent_runtime_arn=_agent_runtime_arn(environ.get("AGENT_RUNTIME_ARN")),
        )


def with_parameter(environ: Mapping[str, str], read: Callable[[str], str]) -> Mapping[str, str]:
    """``environ`` with the settings parameter's variables, where ``SETTINGS_PARAMETER`` names one (``read``
    returns its value); else ``environ`` itself. A value that is not a JSON object of :data:`PARAMETER_VARIABLES`
    -> string, or a variable set in both places, is a :class:`ConfigError` naming ``SETTINGS_PARAMETER``."""
    name = (environ.get(SETTINGS_PARAMETER_VARIABLE) or "").strip()
    if not name:
        return environ
    stored = _json(read(name), SETTINGS_PARAMETER_VARIABLE)
    if not isinstance(stored, dict) or not all(isinstance(value, str) for value in stored.values()):
        raise ConfigError(SETTINGS_PARAMETER_VARIABLE, "the parameter must hold a JSON object of variable -> string")
    unknown = sorted(set(stored) - set(PARAMETER_VARIABLES))
    if unknown:
        raise ConfigError(f"{SETTINGS_PARAMETER_VARIABLE}.{unknown[0]}", f"is not one of {list(PARAMETER_VARIABLES)}")
    twice = sorted(set(stored) & set(environ))
    if twice:
        raise ConfigError(f"{SETTINGS_PARAMETER_VARIABLE}.{twice[0]}", "is set in the environment as well; keep one")
    return {**environ, **stored}


def _agent_runtime_arn(raw: str | None) -> str | None:
    value = (raw or "").strip()
    if not value:
        return None
    if not _AGENT_RUNTIME_ARN_RE.match(value):
        raise ConfigError("AGENT_RUNTIME_ARN", "must be an AgentCore Runtime ARN "
                                               "(arn:<partition>:bedrock-agentcore:<region>:<account>:runtime/<id>)")
    return value


def _knowledge_bases(raw: str | None) -> dict[str, KnowledgeBaseSettings]:
    if raw is None or not raw.strip():
        return {}
    return parse_knowledge_bases(_json(raw, "KNOWLEDGE_BASES"))


def _compact_json(value: Any) -> str:
    """Compact JSON: Lambda's 4 KB environment limit counts every byte. Tokens (ARNs) stay strings."""
    return json.dumps(value, separators=(",", ":"))


def _json(raw: str, name: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(name, f"is not valid JSON ({exc.msg} at position {exc.pos})") from None


def _bool(raw: str | None, name: str) -> bool:
    value = (raw or "false").strip().lower()
    if value not in ("true", "false"):
        raise ConfigError(name, "must be true or false")
    return value == "true"


def _int(raw: str, name: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"must be an integer {low}..{high}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"must be an integer {low}..{high}")
    return value


def _float(raw: str, name: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"must be a number {low:g}..{high:g}") from None
    if not low <= value <= high:  # also false for NaN
        raise ConfigError(name, f"must be a number {low:g}..{high:g}")
    return value
