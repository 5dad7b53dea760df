from cdk.components.managed_policy_role.construct import ManagedPolicyRole

__all__ = ["ManagedPolicyRole"]
