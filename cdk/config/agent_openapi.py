"""``agents.tools.openapi``: external HTTP APIs as Gateway tools (name -> settings)::

    "openapi": {
      "weather": {
        "schema": "agents/openapi/weather.json",
        "credential": {"type": "api_key",
          "provider_arn": "arn:aws:bedrock-agentcore:<region>:<account>:token-vault/default/apikeycredentialprovider/weather",
                       "secret_arn": "arn:aws:secretsmanager:<region>:<account>:secret:weather-AbCdEf",
                       "location": "header", "parameter_name": "X-Api-Key", "prefix": "Key "}
      }
    }

``schema`` is a repository-relative OpenAPI 3 JSON document; each operation's ``operationId`` becomes a tool (and a
name the ``access`` rules may use). ``credential`` is ``api_key`` (``location`` ``header`` | ``query_parameter``,
optional ``parameter_name`` and ``prefix``) or ``oauth`` (``scopes``); the provider is created outside the template
(``aws bedrock-agentcore-control create-api-key-credential-provider`` / ``create-oauth2-credential-provider``), so
no key or client secret is ever in cdk.json or a template: only the provider's and its secret's ARNs, in the
environment's region. Unknown keys (an ``api_key`` value, say) fail synth.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from cdk.components.agentcore_gateway.props import (
    API_KEY_LOCATIONS,
    TARGET_NAME_PATTERN,
    ApiKeyCredential,
    OAuthCredential,
    OpenApiToolTarget,
)
from cdk.config.fields import ConfigError, Section

REPO_ROOT = Path(__file__).resolve().parents[2]
#: MCP/Converse tool names: ``<target>___<operationId>`` must stay within Converse's 64 characters.
OPERATION_ID_PATTERN = r"[a-zA-Z0-9_-]{1,40}"
_PROVIDER_ARN = r"arn:aws[a-z-]*:bedrock-agentcore:{region}:\d{{12}}:token-vault/[A-Za-z0-9_-]+/{kind}/[A-Za-z0-9_-]{{1,128}}"
_SECRET_ARN = r"arn:aws[a-z-]*:secretsmanager:{region}:\d{{12}}:secret:[A-Za-z0-9/_+=.@-]{{1,512}}"  # noqa: S105 - a pattern
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
RESERVED_TARGETS = ("usecases", "knowledge")


def parse_openapi_targets(tools: Section, *, region: str, taken: set[str]) -> tuple[OpenApiToolTarget, ...]:
    """``taken``: the tool names already used (use cases, searches); operation ids join it."""
    raw = tools.raw("openapi", {})
    section = Section(raw, tools.child_path("openapi"))
    targets = []
    for name in dict(raw):
        path = section.child_path(name)
        if not re.fullmatch(TARGET_NAME_PATTERN, name) or name in RESERVED_TARGETS or len(name) > 20:
            raise ConfigError(path, f"{name!r} is not a target name: letters, digits and hyphens (at most 20), not "
                                    f"{' or '.join(RESERVED_TARGETS)}")
        entry = section.section(name, required=True)
        schema_path = entry.string("schema")
        schema, operations = _read_schema(schema_path, entry.child_path("schema"))
        for operation in operations:
            if operation in taken:
                raise ConfigError(entry.child_path("schema"), f"operationId {operation!r} is already a tool name; "
                                                              "operation ids must differ from every other tool")
            taken.add(operation)
        credential = _credential(entry.section("credential", required=True), region)
        entry.finish()
        targets.append(OpenApiToolTarget(name=name, schema=schema, credential=credential, operations=operations))
    section.finish()
    return tuple(targets)


def _read_schema(relative: str, path: str) -> tuple[str, tuple[str, ...]]:
    file = (REPO_ROOT / relative).resolve()
    if not file.is_relative_to(REPO_ROOT) or not file.is_file():
        raise ConfigError(path, f"{relative!r} is not a file of this repository")
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigError(path, f"{relative!r} is not JSON ({exc.msg})") from None
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        raise ConfigError(path, f"{relative!r} is not an OpenAPI 3 document (no 'openapi': '3.x')")
    operations: list[str] = []
    paths = document.get("paths") or {}
    if not isinstance(paths, dict):
        raise ConfigError(path, f"{relative!r}: 'paths' must be an object of path -> operations")
    for route, methods in paths.items():
        if not isinstance(methods, dict):
            raise ConfigError(path, f"{relative!r}: paths[{route!r}] must be an object of method -> operation")
        for method, operation in methods.items():
            if method not in _HTTP_METHODS:
                continue
            if not isinstance(operation, dict):
                raise ConfigError(path, f"{relative!r}: {method.upper()} {route} must be an operation object")
            operation_id = operation.get("operationId")
            if not isinstance(operation_id, str) or not re.fullmatch(OPERATION_ID_PATTERN, operation_id):
                raise ConfigError(path, f"{method.upper()} {route} needs an operationId matching {OPERATION_ID_PATTERN}")
            operations.append(operation_id)
    if not operations or len(set(operations)) != len(operations):
        raise ConfigError(path, f"{relative!r} must define at least one operation, with distinct operationIds")
    return json.dumps(document, separators=(",", ":")), tuple(operations)


def _credential(section: Section, region: str) -> ApiKeyCredential | OAuthCredential:
    kind = section.string("type", choices=("api_key", "oauth"))
    region_re = re.escape(region) if region else "[a-z0-9-]+"
    provider_kind = "apikeycredentialprovider" if kind == "api_key" else "oauth2credentialprovider"
    provider_arn = section.string("provider_arn", pattern=_PROVIDER_ARN.format(region=region_re, kind=provider_kind),
                                  pattern_hint=f"the ARN of a {provider_kind} in {region or 'the region'}")
    secret_arn = section.string("secret_arn", pattern=_SECRET_ARN.format(region=region_re),
                                pattern_hint=f"the ARN of the provider's Secrets Manager secret in {region or 'the region'}")
    if kind == "oauth":
        scopes = section.string_list("scopes", (), max_items=100)
        section.finish()
        return OAuthCredential(provider_arn=provider_arn, secret_arn=secret_arn, scopes=scopes)
    credential = ApiKeyCredential(
        provider_arn=provider_arn, secret_arn=secret_arn,
        location=section.string("location", "header", choices=API_KEY_LOCATIONS),
        parameter_name=section.string("parameter_name", None, pattern=r"[A-Za-z0-9_-]{1,64}",
                                      pattern_hint="1-64 letters, digits, '_' or '-'"),
        prefix=section.string("prefix", None, pattern=r".{1,64}", pattern_hint="1-64 characters"),
    )
    section.finish()
    return credential
