"""Policy gates: cdk-nag rule packs at synth, and a narrow, reasoned way to acknowledge a finding."""

from cdk.policy.nag import acknowledge, apply_policy_gates

__all__ = ["acknowledge", "apply_policy_gates"]
