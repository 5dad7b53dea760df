"""The settings parameter of a :class:`~cdk.components.python_function.PythonFunction` (``parameter_environment``): its
value, its tier and its size check; sized as the environment is (tokens counted at their longest, ``environment_size``).

SSM Parameter Store limits (user guide "Managing parameter tiers"; botocore ssm ``PutParameter``: ``Tier``
Standard | Advanced | Intelligent-Tiering): a Standard parameter's value holds up to 4 KB and costs nothing, an
Advanced one up to 8 KB (charged per parameter-month). The smallest tier that fits is chosen at synth; beyond
8 KB synthesis fails naming the function. Unverified against the service: that the 4 KB / 8 KB count bytes of
the UTF-8 value (the value is ASCII JSON here, so bytes and characters agree).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import jsii
from aws_cdk import aws_ssm as ssm
from constructs import IValidation

STANDARD_LIMIT_BYTES = 4096
ADVANCED_LIMIT_BYTES = 8192


def parameter_value(variables: Mapping[str, str]) -> str:
    """The JSON object of variable -> value, compact (tokens stay inside the strings, resolved at deploy)."""
    return json.dumps(dict(variables), separators=(",", ":"))


def parameter_tier(size: int) -> ssm.ParameterTier:
    """The smallest tier whose value limit holds ``size`` bytes (Advanced beyond; :class:`ParameterFits` refuses
    what no tier holds)."""
    return ssm.ParameterTier.STANDARD if size <= STANDARD_LIMIT_BYTES else ssm.ParameterTier.ADVANCED


@jsii.implements(IValidation)
class ParameterFits:
    """Synthesis fails, naming the function, when the value may exceed an Advanced parameter's 8 KB, or holds
    ``{{``, which SSM refuses in a value (botocore ssm PutParameter, Value: "You can't include values wrapped in
    double brackets {{}}"); JSON written by ``json.dumps`` never has it, so it comes from configuration text."""

    def __init__(self, size: int, owner: str, value: str) -> None:
        self._size, self._owner, self._braces = size, owner, "{{" in value

    def validate(self) -> list[str]:
        errors = []
        if self._size > ADVANCED_LIMIT_BYTES:
            errors.append(f"the settings parameter of {self._owner} may reach {self._size} bytes once deployed, over "
                          f"SSM's {ADVANCED_LIMIT_BYTES}-byte limit of an Advanced parameter (tokens counted at their "
                          "longest): configure fewer models or knowledge bases for this environment")
        if self._braces:
            errors.append(f"the settings parameter of {self._owner} holds '{{{{', which SSM refuses in a parameter "
                          "value: remove it from the configuration's text (a knowledge base description, say)")
        return errors
