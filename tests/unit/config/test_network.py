"""The ``network`` section: no VPC by default; a declared VPC is complete and consistent, or synth fails
naming the key."""

from __future__ import annotations

import pytest

from cdk.config import ConfigError, load_app_config

VPC = {
    "vpc_id": "vpc-0123456789abcdef0",
    "vpc_cidr": "10.20.0.0/16",
    "availability_zones": ["eu-west-1a", "eu-west-1b"],
    "private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
    "private_subnet_route_table_ids": ["rtb-0123456789abcdef0", "rtb-0fedcba9876543210"],
}


def _network(network):
    context = {"project": "genai", "environments": {"dev": {"region": "eu-west-1", "network": network}}}
    return load_app_config(context).environment("dev").network


def test_no_vpc_by_default():
    network = load_app_config({"environments": {"dev": {"region": "eu-west-1"}}}).environment("dev").network
    assert not network.has_vpc
    assert network.interface_endpoints == ("bedrock-runtime",)


def test_a_declared_vpc_is_parsed():
    network = _network({**VPC, "interface_endpoints": ["bedrock-runtime", "bedrock"]})
    assert network.has_vpc and network.vpc_id == VPC["vpc_id"]
    assert network.availability_zones == ("eu-west-1a", "eu-west-1b")
    assert network.interface_endpoints == ("bedrock-runtime", "bedrock")


@pytest.mark.parametrize(
    ("network", "path", "fragment"),
    [
        ({"vpc_id": "vpc-123"}, "environments.dev.network.vpc_id", "a VPC ID such as vpc-"),
        ({"private_subnet_ids": ["subnet-0123456789abcdef0"]}, "environments.dev.network.private_subnet_ids",
         "needs vpc_id"),
        ({**VPC, "vpc_cidr": "10.20.0.0/33"}, "environments.dev.network.vpc_cidr", "is not an IPv4 CIDR block"),
        ({**VPC, "availability_zones": ["us-east-1a"]}, "environments.dev.network.availability_zones[0]",
         "is not an availability zone of eu-west-1"),
        ({**VPC, "private_subnet_ids": ["subnet-0123456789abcdef0"]}, "environments.dev.network.private_subnet_ids",
         "expected a multiple of 2 subnets"),
        ({key: value for key, value in VPC.items() if key != "private_subnet_route_table_ids"},
         "environments.dev.network.private_subnet_route_table_ids", "is required when vpc_id is set"),
        ({**VPC, "private_subnet_ids": ["subnet-xyz", "subnet-0fedcba9876543210"]},
         "environments.dev.network.private_subnet_ids[0]", "a subnet ID such as subnet-"),
        ({**VPC, "private_subnet_route_table_ids": ["rtb-0123456789abcdef0"]},
         "environments.dev.network.private_subnet_route_table_ids", "expected one per private subnet (2), got 1"),
        ({**VPC, "interface_endpoints": ["sagemaker-runtime"]}, "environments.dev.network.interface_endpoints[0]",
         "allowed values: bedrock-runtime, bedrock, bedrock-agent-runtime"),
        ({**VPC, "subnets": []}, "environments.dev.network.subnets", "unknown key"),
        ({key: value for key, value in VPC.items() if key != "vpc_cidr"}, "environments.dev.network.vpc_cidr",
         "is required when vpc_id is set"),
    ],
)
def test_bad_values_name_the_key(network, path, fragment):
    with pytest.raises(ConfigError) as error:
        _network(network)
    assert error.value.path == path, str(error.value)
    assert fragment in str(error.value)
