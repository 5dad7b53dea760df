from cdk.components.managed_policy_role.construct import ManagedPolicyRole, account_service_principal

__all__ = ["ManagedPolicyRole", "account_service_principal"]
