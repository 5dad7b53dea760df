from cdk.components.least_privilege.statements import allow, allow_image_pull, allow_kms, nag_resource_finding

__all__ = ["allow", "allow_image_pull", "allow_kms", "nag_resource_finding"]
