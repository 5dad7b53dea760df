"""Typed arguments of :class:`~cdk.components.agentcore_gateway.ToolGateway` (CDK-free)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Gateway target names: [a-zA-Z0-9_-], used as the tools' prefix (``<target>___<tool>``).
TARGET_NAME_PATTERN = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,98}[a-zA-Z0-9])?"
#: Gateway tool names: ``<target>___<tool>`` (AgentCore devguide "gateway-tool-naming").
TARGET_SEPARATOR = "___"
#: aws-cdk-lib 2.275 ``PolicyEngineMode``: ENFORCE allows/denies; LOG_ONLY evaluates and logs only.
POLICY_MODES = ("enforce", "log_only")


@dataclass(frozen=True)
class LambdaToolTarget:
    """One Lambda target: its name and its tools (``{"name", "description", "inputSchema"}`` JSON Schema)."""

    name: str
    tools: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ToolPolicy:
    """A Cedar policy engine on the Gateway: the IAM principals that may invoke it (``AgentCore::IamEntity``) may
    call only ``tools`` (``<target>___<tool>``); every other tool call is denied (Cedar denies by default) and
    the Gateway lists only what the policy permits. ``mode`` is one of :data:`POLICY_MODES`."""

    tools: tuple[str, ...]
    mode: str = "enforce"

    def __post_init__(self) -> None:
        if self.mode not in POLICY_MODES:
            raise ValueError(f"ToolPolicy.mode must be one of {POLICY_MODES}")
        for tool in self.tools:
            if TARGET_SEPARATOR not in tool:
                raise ValueError(f"ToolPolicy.tools names <target>{TARGET_SEPARATOR}<tool>, got {tool!r}")


#: ``ApiKeyCredentialLocation`` of aws-cdk-lib 2.275: where the Gateway puts the key on outbound requests.
API_KEY_LOCATIONS = ("header", "query_parameter")


@dataclass(frozen=True)
class ApiKeyCredential:
    """An API-key credential provider created outside the template (its key entered once into the AgentCore token
    vault, which keeps it in Secrets Manager): the template names the provider and its secret, never the key."""

    provider_arn: str
    secret_arn: str
    location: str = "header"
    parameter_name: str | None = None  # default: Authorization (header) / api_key (query parameter)
    prefix: str | None = None  # default: "Bearer " (header) / none (query parameter)


@dataclass(frozen=True)
class OAuthCredential:
    """An OAuth2 credential provider (client credentials) created outside the template, and the scopes to ask for."""

    provider_arn: str
    secret_arn: str
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpenApiToolTarget:
    """An external HTTP API as tools: an OpenAPI 3 document (JSON text; each operation's ``operationId`` is a
    tool) called with ``credential``."""

    name: str
    schema: str
    credential: ApiKeyCredential | OAuthCredential
    operations: tuple[str, ...] = ()
