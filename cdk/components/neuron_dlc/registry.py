"""Where the AWS Deep Learning Containers (DLC) live: the registry account differs by region.

Most commercial regions pull DLC images from account 763104351884, but opt-in regions, China and GovCloud each have
their own registry account, so an image URI is ``<account>.dkr.ecr.<region>.<url suffix>/<repository>:<tag>``.
The table below was checked against:

- aws/deep-learning-containers ``available_images.md`` (region table: 763104351884 for the original commercial
  regions, af-south-1 626614931356, ap-east-1 871362719292, ap-northeast-3 364406365360, ap-southeast-3 907027046896,
  eu-south-1 692866216735, me-south-1 217643126080, me-central-1 914824155844, cn-* 727897471807), and
- the SageMaker Python SDK ``image_uri_config/huggingface-llm-neuronx.json`` registries (the Neuron TGI image) for
  the regions added since: ap-south-2, ap-southeast-4/5/7, ca-west-1, eu-central-2, eu-south-2, il-central-1,
  mx-central-1, us-gov-east-1, us-gov-west-1.

Where aws-cdk-lib's region facts (``RegionInfo.dlc_repository_account``) list a region, they agree with this table;
they lack several regions above, which is why this project keeps its own.

A stack pinned to a region (every stage here) resolves the account at synth time, and a region the table does not
know fails synth with the list of known regions. A region-agnostic stack gets a ``CfnMapping`` keyed by
``AWS::Region`` instead. The URL suffix always comes from the partition (``amazonaws.com``, ``amazonaws.com.cn``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from aws_cdk import Aws, CfnMapping, Stack, Token
from aws_cdk import aws_ecr as ecr
from constructs import Construct

_MAIN = "763104351884"

DLC_REGISTRY_ACCOUNTS: Mapping[str, str] = MappingProxyType({
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "ap-northeast-1": _MAIN,
    "ap-northeast-2": _MAIN,
    "ap-northeast-3": "364406365360",
    "ap-south-1": _MAIN,
    "ap-south-2": "772153158452",
    "ap-southeast-1": _MAIN,
    "ap-southeast-2": _MAIN,
    "ap-southeast-3": "907027046896",
    "ap-southeast-4": "457447274322",
    "ap-southeast-5": "550225433462",
    "ap-southeast-7": "590183813437",
    "ca-central-1": _MAIN,
    "ca-west-1": "204538143572",
    "cn-north-1": "727897471807",
    "cn-northwest-1": "727897471807",
    "eu-central-1": _MAIN,
    "eu-central-2": "380420809688",
    "eu-north-1": _MAIN,
    "eu-south-1": "692866216735",
    "eu-south-2": "503227376785",
    "eu-west-1": _MAIN,
    "eu-west-2": _MAIN,
    "eu-west-3": _MAIN,
    "il-central-1": "780543022126",
    "me-central-1": "914824155844",
    "me-south-1": "217643126080",
    "mx-central-1": "637423239942",
    "sa-east-1": _MAIN,
    "us-east-1": _MAIN,
    "us-east-2": _MAIN,
    "us-gov-east-1": "446045086412",
    "us-gov-west-1": "442386744353",
    "us-west-1": _MAIN,
    "us-west-2": _MAIN,
})

_MAPPING_ID = "DlcRegistryAccounts"


class UnknownDlcRegionError(ValueError):
    """No Deep Learning Containers registry account is known for the region."""

    def __init__(self, region: str) -> None:
        super().__init__(
            f"no AWS Deep Learning Containers registry account is known for region {region!r}; known regions: "
            f"{', '.join(sorted(DLC_REGISTRY_ACCOUNTS))} (add it to cdk/components/neuron_dlc/registry.py from the "
            "DLC available_images list)"
        )
        self.region = region


def dlc_registry_account(region: str) -> str:
    """The DLC registry account of ``region`` (a concrete region name)."""
    try:
        return DLC_REGISTRY_ACCOUNTS[region]
    except KeyError:
        raise UnknownDlcRegionError(region) from None


def _account_for(scope: Construct) -> str:
    stack = Stack.of(scope)
    if not Token.is_unresolved(stack.region):
        return dlc_registry_account(stack.region)
    mapping = stack.node.try_find_child(_MAPPING_ID)
    if mapping is None:
        mapping = CfnMapping(stack, _MAPPING_ID, mapping={
            region: {"account": account} for region, account in DLC_REGISTRY_ACCOUNTS.items()
        })
    assert isinstance(mapping, CfnMapping)
    return mapping.find_in_map(Aws.REGION, "account")


def dlc_repository(scope: Construct, construct_id: str, repository_name: str) -> ecr.IRepository:
    """The DLC repository ``repository_name`` in the stack's region, e.g. ``pytorch-training-neuronx``.

    Its ``repository_uri_for_tag(tag)`` is ``<account>.dkr.ecr.<region>.<partition URL suffix>/<name>:<tag>`` and its
    ``repository_arn`` scopes ECR pull permissions to exactly this repository.
    """
    account = _account_for(scope)
    return ecr.Repository.from_repository_attributes(
        scope,
        construct_id,
        repository_name=repository_name,
        repository_arn=ecr.Repository.arn_for_local_repository(repository_name, scope, account),
    )


@dataclass(frozen=True)
class DlcImage:
    """One Deep Learning Containers image (repository + tag), resolved in the stack's region and partition.

    Example::

        from aws_cdk import App, CfnOutput, Stack

        from cdk.components.least_privilege import allow_image_pull
        from cdk.components.managed_policy_role import ManagedPolicyRole
        from cdk.components.neuron_dlc import DlcImage, service_principal

        app = App()
        stack = Stack(app, "Example")
        image = DlcImage("huggingface-pytorch-tgi-inference", "2.1.2-optimum0.0.27-neuronx-py310-ubuntu22.04")
        repository = image.repository(stack, "ServingRepository")
        # A SageMaker execution role that may pull this one image (trust with confused-deputy conditions).
        role = ManagedPolicyRole(stack, "ExecutionRole", assumed_by=service_principal(stack, "sagemaker"))
        allow_image_pull(role, repository)
        CfnOutput(stack, "ServingImageUri", value=repository.repository_uri_for_tag(image.tag))
    """

    repository_name: str
    tag: str

    def repository(self, scope: Construct, construct_id: str) -> ecr.IRepository:
        """The repository, for ECR pull permissions scoped to it (``least_privilege.allow_image_pull``)."""
        return dlc_repository(scope, construct_id, self.repository_name)
