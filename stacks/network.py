"""The environment's existing VPC, imported from its declared attributes (no context lookup at synth)."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from cdk.config.network import NetworkConfig


def import_vpc(scope: Construct, construct_id: str, network: NetworkConfig) -> ec2.IVpc:
    """The VPC ``network`` declares, with its private subnets and their route tables.

    The config guarantees the attributes are all present when ``network.has_vpc`` (one route table per subnet).
    """
    if not network.has_vpc:
        raise ValueError("import_vpc needs network.vpc_id")
    return ec2.Vpc.from_vpc_attributes(
        scope, construct_id, vpc_id=network.vpc_id, vpc_cidr_block=network.vpc_cidr,
        availability_zones=list(network.availability_zones),
        private_subnet_ids=list(network.private_subnet_ids),
        private_subnet_route_table_ids=list(network.private_subnet_route_table_ids),
    )
