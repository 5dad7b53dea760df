"""A customer-managed KMS key as every component here makes one: automatic rotation, a description of what it
encrypts, the owner's removal policy and the longest deletion window (30 days: time to notice a mistake).

Example::

    from aws_cdk import App, RemovalPolicy, Stack

    from cdk.components.customer_key import customer_managed_key

    app = App()
    stack = Stack(app, "Example")
    key = customer_managed_key(stack, "Key", description="Encrypts the example data", removal_policy=RemovalPolicy.RETAIN)
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct

#: KMS allows 7 to 30 days; the longest leaves time to cancel a deletion that was a mistake.
DELETION_WINDOW = Duration.days(30)


def customer_managed_key(scope: Construct, construct_id: str, *, description: str,
                         removal_policy: RemovalPolicy) -> kms.Key:
    """A rotating customer-managed key (its key policy is CDK's default: the account's administrators)."""
    return kms.Key(scope, construct_id, description=description, enable_key_rotation=True,
                   removal_policy=removal_policy, pending_window=DELETION_WINDOW)
