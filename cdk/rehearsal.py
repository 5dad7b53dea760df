"""The rehearsal-only app: what ``scripts/rehearse.py`` deploys into a local AWS emulator (moto). Never a real account.

    cdk synth --app "python -m cdk.rehearsal" -c env=dev 'dev/*'

It is ``app.py``'s app, built by the same ``build_app`` with the same policy gates, plus the few changes
the emulator needs; they live here and nowhere else, so no real environment's template carries them
(``tests/unit/test_rehearsal.py`` checks the real templates):

1. ``DefaultStackSynthesizer(generate_bootstrap_version_rule=False)``: the templates leave out the
   ``CheckBootstrapVersion`` rule and its ``BootstrapVersion`` SSM parameter, which moto's CloudFormation
   does not evaluate on direct (non-change-set) updates. The CDK CLI still checks the bootstrap version
   itself before deploying.
2. SageMaker endpoint configurations whose instance type moto's list predates (``ml.inf2.*``,
   ``ml.trn1.*``) get a type moto knows. Each changed resource carries ``REHEARSAL_OVERRIDE_METADATA``
   metadata naming the original value, and the rehearsal prints it.
"""

from __future__ import annotations

import jsii
from aws_cdk import (
    App,
    Aspects,
    DefaultStackSynthesizer,
    IAspect,
    IBoundStackSynthesizer,
    IReusableStackSynthesizer,
    Stack,
    Stage,
)
from aws_cdk import aws_sagemaker as sagemaker
from constructs import IConstruct

from cdk.main import build_app

REHEARSAL_OVERRIDE_METADATA = "genai:rehearsal-override"
# What the rehearsal substitutes for an instance type the emulator rejects; its value is irrelevant there.
EMULATOR_INSTANCE_TYPE = "ml.m5.large"


def emulator_accepts_instance_type(instance_type: str) -> bool:
    """Whether moto's SageMaker accepts ``instance_type`` for an endpoint configuration's production variant."""
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import FakeEndpointConfig

    try:
        FakeEndpointConfig.validate_instance_type(None, instance_type)  # type: ignore[arg-type] - uses no state
    except ValidationError:
        return False
    return True


@jsii.implements(IAspect)
class EmulatorInstanceTypes:
    """Replace endpoint instance types the emulator rejects, and record each replacement on the resource."""

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, sagemaker.CfnEndpointConfig):
            return
        variants = node.stack.resolve(node.production_variants) or []
        for index, variant in enumerate(variants):
            instance_type = variant.get("instanceType") if isinstance(variant, dict) else None
            if isinstance(instance_type, str) and not emulator_accepts_instance_type(instance_type):
                node.add_property_override(f"ProductionVariants.{index}.InstanceType", EMULATOR_INSTANCE_TYPE)
                node.add_metadata(REHEARSAL_OVERRIDE_METADATA,
                                  f"ProductionVariants.{index}.InstanceType {instance_type} -> {EMULATOR_INSTANCE_TYPE}")


@jsii.implements(IReusableStackSynthesizer)
class NoBootstrapRuleSynthesizers:
    """A new ``DefaultStackSynthesizer(generate_bootstrap_version_rule=False)`` for every stack.

    One synthesizer instance as the App's default is bound to each stack with ``Object.create`` (aws-cdk-lib
    2.275.0, core/lib/stack-synthesizers/default-synthesizer.js ``reusableBind``), which shares its asset
    manifest: every stack's manifest would list every stack's template, and a stack of another Stage (the
    account stack, in its own nested assembly) would point at a template file that is not there.
    """

    def reusable_bind(self, stack: Stack) -> IBoundStackSynthesizer:
        synthesizer = DefaultStackSynthesizer(generate_bootstrap_version_rule=False)
        synthesizer.bind(stack)
        return synthesizer


def build_rehearsal_app() -> App:
    app = App(default_stack_synthesizer=NoBootstrapRuleSynthesizers())
    build_app(app)
    # Aspects do not cross Stage boundaries: attach them to each environment's Stage.
    for child in app.node.children:
        if isinstance(child, Stage):
            Aspects.of(child).add(EmulatorInstanceTypes())
    return app


def main() -> None:
    import sys

    from cdk.config import ConfigError

    try:
        app = build_rehearsal_app()
    except ConfigError as error:
        print(f"genai-stack rehearsal: invalid configuration: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    app.synth()


if __name__ == "__main__":
    main()
