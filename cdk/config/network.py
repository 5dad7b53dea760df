"""The ``network`` section: an existing VPC that an environment's private workloads use (optional).

No VPC is declared by default. When one is, it is imported from these attributes (no synth-time lookup),
the Bedrock stack puts interface endpoints in its private subnets, and the SageMaker stack may run training
jobs in them::

    "network": {
      "vpc_id": "vpc-0123456789abcdef0",
      "vpc_cidr": "10.20.0.0/16",
      "availability_zones": ["eu-west-1a", "eu-west-1b"],
      "private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
      "private_subnet_route_table_ids": ["rtb-0123456789abcdef0", "rtb-0fedcba9876543210"],
      "interface_endpoints": ["bedrock-runtime"]
    }
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from cdk.config.fields import ConfigError, Section

VPC_ID_PATTERN = r"vpc-[0-9a-f]{8}([0-9a-f]{9})?"
SUBNET_ID_PATTERN = r"subnet-[0-9a-f]{8}([0-9a-f]{9})?"
ROUTE_TABLE_ID_PATTERN = r"rtb-[0-9a-f]{8}([0-9a-f]{9})?"
# Interface endpoints this project knows how to create (aws_ec2.InterfaceVpcEndpointAwsService names).
INTERFACE_ENDPOINTS = ("bedrock-runtime", "bedrock", "bedrock-agent-runtime")
_VPC_ONLY_KEYS = ("vpc_cidr", "availability_zones", "private_subnet_ids", "private_subnet_route_table_ids")


@dataclass(frozen=True)
class NetworkConfig:
    vpc_id: str | None = None
    vpc_cidr: str | None = None
    availability_zones: tuple[str, ...] = ()
    private_subnet_ids: tuple[str, ...] = ()
    private_subnet_route_table_ids: tuple[str, ...] = ()
    interface_endpoints: tuple[str, ...] = ("bedrock-runtime",)

    @property
    def has_vpc(self) -> bool:
        return self.vpc_id is not None


def parse_network(section: Section, *, region: str) -> NetworkConfig:
    vpc_id = section.string("vpc_id", None, pattern=VPC_ID_PATTERN, pattern_hint="a VPC ID such as vpc-0123456789abcdef0")
    endpoints = section.string_list(
        "interface_endpoints", ("bedrock-runtime",),
        item=lambda p, v: v if v in INTERFACE_ENDPOINTS else _bad_choice(p, v, INTERFACE_ENDPOINTS),
    )
    if vpc_id is None:
        for key in _VPC_ONLY_KEYS:
            if section.has(key):
                raise ConfigError(section.child_path(key), "needs vpc_id: declare the VPC these settings belong to")
            section.raw(key, None)
        section.finish()
        return NetworkConfig(interface_endpoints=endpoints)

    for key in ("vpc_cidr", "availability_zones", "private_subnet_ids", "private_subnet_route_table_ids"):
        if not section.has(key):
            raise ConfigError(section.child_path(key), "is required when vpc_id is set")
    cidr = section.string("vpc_cidr")
    try:
        ipaddress.IPv4Network(cidr)
    except ValueError as exc:
        raise ConfigError(section.child_path("vpc_cidr"), f"{cidr!r} is not an IPv4 CIDR block: {exc}") from None
    zones = section.string_list("availability_zones", min_items=1, item=lambda p, v: _zone(p, v, region))
    subnets = section.string_list(
        "private_subnet_ids", min_items=1,
        item=lambda p, v: _pattern(p, v, SUBNET_ID_PATTERN, "a subnet ID such as subnet-0123456789abcdef0"),
    )
    if len(subnets) % len(zones):
        raise ConfigError(section.child_path("private_subnet_ids"),
                          f"expected a multiple of {len(zones)} subnets (one per availability zone, in zone order), "
                          f"got {len(subnets)}")
    route_tables = section.string_list(
        "private_subnet_route_table_ids", unique=False,
        item=lambda p, v: _pattern(p, v, ROUTE_TABLE_ID_PATTERN, "a route table ID such as rtb-0123456789abcdef0"),
    )
    if len(route_tables) != len(subnets):
        raise ConfigError(section.child_path("private_subnet_route_table_ids"),
                          f"expected one per private subnet ({len(subnets)}), got {len(route_tables)}")
    section.finish()
    return NetworkConfig(vpc_id=vpc_id, vpc_cidr=cidr, availability_zones=zones, private_subnet_ids=subnets,
                         private_subnet_route_table_ids=route_tables, interface_endpoints=endpoints)


def _zone(path: str, value: str, region: str) -> str:
    if not re.fullmatch(re.escape(region) + r"[a-z]", value):
        raise ConfigError(path, f"{value!r} is not an availability zone of {region} (expected e.g. {region}a)")
    return value


def _pattern(path: str, value: str, pattern: str, hint: str) -> str:
    if not re.fullmatch(pattern, value):
        raise ConfigError(path, f"{value!r} is not valid; expected {hint}")
    return value


def _bad_choice(path: str, value: str, allowed: tuple[str, ...]) -> str:
    raise ConfigError(path, f"{value!r} is not allowed; allowed values: {', '.join(allowed)}")
