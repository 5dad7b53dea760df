"""How large a Lambda function's environment can get once CloudFormation resolves its tokens.

Lambda refuses a function whose environment variables total more than 4 KB. Values built at synth
hold tokens (a table name, an inference-profile ARN from another stack) whose length is known only at
deploy time, so each token is counted at the largest length it can plausibly resolve to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from aws_cdk import CfnResource, Reference, Stack, Tokenization
from constructs import IConstruct

#: Lambda's limit on the total size of a function's environment variables (keys and values).
LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096

# Longest partition, region, URL suffix in use ("aws-us-gov", "ap-southeast-5", "amazonaws.com.cn"),
# with room to spare; ARNs add service, account and resource to these.
_PSEUDO_BOUNDS = {
    "AWS::AccountId": 12,
    "AWS::Partition": 16,
    "AWS::Region": 24,
    "AWS::URLSuffix": 24,
    "AWS::StackName": 128,
    "AWS::StackId": 256,
    "AWS::NoValue": 0,
}
_ARN_PREFIX = len("arn:") + 16 + 1 + 24 + 1 + 24 + 1 + 12 + 1  # arn:partition:service:region:account:

# Upper bounds of what (resource type, attribute) resolves to; "Ref" is the resource's Ref value.
TOKEN_BOUNDS: dict[tuple[str, str], int] = {
    ("AWS::DynamoDB::Table", "Ref"): 255,  # table name, 3..255 characters
    ("AWS::DynamoDB::Table", "Arn"): _ARN_PREFIX + len("table/") + 255,
    ("AWS::Bedrock::Guardrail", "GuardrailId"): 64,
    ("AWS::Bedrock::Guardrail", "Version"): 8,  # [1-9][0-9]{0,7} or DRAFT
    ("AWS::Bedrock::Guardrail", "GuardrailArn"): _ARN_PREFIX + len("guardrail/") + 64,
    ("AWS::Bedrock::Guardrail", "Ref"): _ARN_PREFIX + len("guardrail/") + 64,
    ("AWS::Bedrock::GuardrailVersion", "Version"): 8,
    ("AWS::Bedrock::GuardrailVersion", "GuardrailId"): 64,
    ("AWS::Bedrock::GuardrailVersion", "GuardrailArn"): _ARN_PREFIX + len("guardrail/") + 64,
    ("AWS::Bedrock::ApplicationInferenceProfile", "InferenceProfileId"): 64,
    ("AWS::Bedrock::ApplicationInferenceProfile", "InferenceProfileArn"):
        _ARN_PREFIX + len("application-inference-profile/") + 64,
    ("AWS::Bedrock::ApplicationInferenceProfile", "Ref"): _ARN_PREFIX + len("application-inference-profile/") + 64,
    ("AWS::SageMaker::Endpoint", "EndpointName"): 63,
    ("AWS::SageMaker::Endpoint", "Ref"): _ARN_PREFIX + len("endpoint/") + 63,
    ("AWS::SageMaker::Endpoint", "EndpointArn"): _ARN_PREFIX + len("endpoint/") + 63,
    # botocore bedrock-agent (1.44) shape Id of KnowledgeBase.knowledgeBaseId: [0-9a-zA-Z]{10}
    ("AWS::Bedrock::KnowledgeBase", "KnowledgeBaseId"): 10,
    # botocore bedrock-agentcore-control AgentRuntimeArn: ...:runtime/[a-zA-Z][a-zA-Z0-9_]{0,47}-[a-zA-Z0-9]{10}
    ("AWS::BedrockAgentCore::Runtime", "AgentRuntimeArn"): _ARN_PREFIX + len("runtime/") + 48 + 1 + 10,
}
#: Any other token: longer than every bound above, so an unknown token is never under-counted by much.
UNKNOWN_TOKEN_BOUND = 512

# A string token as aws-cdk-lib encodes it (2.275 core/lib/private/encoding.js: BEGIN_STRING_TOKEN_MARKER, VALID_KEY_CHARS,
# END_TOKEN_MARKER). Checked here instead of ``Token.is_unresolved`` (one jsii round trip per variable): that one is
# true when the string holds this marker, and for a stringified number token only next to a literal "Token[" text;
# a value with a marker goes through ``Tokenization.reverse_string``, which finds number tokens too.
_TOKEN_MARKER = re.compile(r"\$\{Token\[[a-zA-Z0-9:._-]+\]\}")


def estimate_value_bytes(scope: IConstruct, value: str) -> int:
    """The largest plausible UTF-8 size of ``value`` (JSON-escaped, as Lambda stores it) once resolved."""
    literal = _TOKEN_MARKER.sub("", value)
    size = len(json.dumps(literal, ensure_ascii=False).encode()) - 2
    if literal == value:
        return size
    for token in Tokenization.reverse_string(value).tokens:
        size += _token_bound(scope, token)
    return size


def estimate_environment_bytes(scope: IConstruct, variables: Mapping[str, str]) -> tuple[int, dict[str, int]]:
    """(total, per-variable) upper bounds; the total is the JSON object ``{"KEY":"value",...}``."""
    per_variable = {key: len(key.encode()) + estimate_value_bytes(scope, value) for key, value in variables.items()}
    total = 2 + sum(size + len('"":"",') for size in per_variable.values())
    return total, per_variable


def _token_bound(scope: IConstruct, token: Any) -> int:
    if isinstance(token, Reference):
        target = token.target
        if isinstance(target, CfnResource):
            return TOKEN_BOUNDS.get((target.cfn_resource_type, token.display_name), UNKNOWN_TOKEN_BOUND)
        return UNKNOWN_TOKEN_BOUND
    try:
        resolved = Stack.of(scope).resolve(token)
    except Exception:  # noqa: BLE001 - a token that only resolves later (e.g. in prepare) counts as unknown
        return UNKNOWN_TOKEN_BOUND
    return _resolved_bound(scope, resolved)


def _resolved_bound(scope: IConstruct, resolved: Any) -> int:
    if isinstance(resolved, str):
        return len(json.dumps(resolved, ensure_ascii=False).encode()) - 2
    if isinstance(resolved, bool | int | float):
        return len(json.dumps(resolved))
    if isinstance(resolved, list):
        return sum(_resolved_bound(scope, item) for item in resolved)
    if isinstance(resolved, dict) and len(resolved) == 1:
        (function, argument), = resolved.items()
        if function == "Ref" and isinstance(argument, str):
            if argument in _PSEUDO_BOUNDS:
                return _PSEUDO_BOUNDS[argument]
            return _resource_bound(scope, argument, "Ref")
        if function == "Fn::GetAtt" and isinstance(argument, list) and len(argument) == 2:
            return _resource_bound(scope, str(argument[0]), str(argument[1]))
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            separator, parts = argument
            parts = parts if isinstance(parts, list) else [parts]
            return len(str(separator)) * max(len(parts) - 1, 0) + sum(_resolved_bound(scope, p) for p in parts)
    return UNKNOWN_TOKEN_BOUND


def _resource_bound(scope: IConstruct, logical_id: str, attribute: str) -> int:
    stack = Stack.of(scope)
    for child in stack.node.find_all():
        if isinstance(child, CfnResource) and stack.resolve(child.logical_id) == logical_id:
            return TOKEN_BOUNDS.get((child.cfn_resource_type, attribute), UNKNOWN_TOKEN_BOUND)
    return UNKNOWN_TOKEN_BOUND
