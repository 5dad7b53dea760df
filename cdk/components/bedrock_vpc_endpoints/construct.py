"""Private (interface) VPC endpoints for Bedrock in an existing VPC."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

SERVICES = {
    "bedrock-runtime": ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME,
    "bedrock": ec2.InterfaceVpcEndpointAwsService.BEDROCK,
    "bedrock-agent-runtime": ec2.InterfaceVpcEndpointAwsService.BEDROCK_AGENT_RUNTIME,
}
RUNTIME_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "bedrock:ApplyGuardrail")


class BedrockVpcEndpoints(Construct):
    """Interface endpoints (private DNS) for the named Bedrock services in the given subnets, reachable on
    443 from the VPC's CIDR only.

    When ``runtime_resource_arns`` is given, the ``bedrock-runtime`` endpoint's policy lets principals of
    this account invoke those resources only (a second fence besides their IAM policies).

    Example::

        from aws_cdk import App, Stack
        from aws_cdk import aws_ec2 as ec2

        from cdk.components.bedrock_vpc_endpoints import BedrockVpcEndpoints

        app = App()
        stack = Stack(app, "Example")
        vpc = ec2.Vpc.from_vpc_attributes(stack, "Vpc", vpc_id="vpc-0123456789abcdef0", vpc_cidr_block="10.0.0.0/16",
                                          availability_zones=["eu-west-1a"],
                                          private_subnet_ids=["subnet-0123456789abcdef0"])
        BedrockVpcEndpoints(stack, "Endpoints", vpc=vpc, vpc_cidr="10.0.0.0/16", services=["bedrock-runtime"])
    """

    def __init__(self, scope: Construct, construct_id: str, *, vpc: ec2.IVpc, vpc_cidr: str,
                 services: Sequence[str] = ("bedrock-runtime",), subnets: ec2.SubnetSelection | None = None,
                 runtime_resource_arns: Sequence[str] = ()) -> None:
        super().__init__(scope, construct_id)
        unknown = sorted(set(services) - set(SERVICES))
        if unknown:
            raise ValueError(f"unknown Bedrock endpoint service(s) {unknown}; known: {sorted(SERVICES)}")
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, allow_all_outbound=False,
            description="Bedrock interface endpoints: HTTPS from inside the VPC",
        )
        self.security_group.add_ingress_rule(ec2.Peer.ipv4(vpc_cidr), ec2.Port.tcp(443), "HTTPS from the VPC")
        self.endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        account = Stack.of(self).account
        for name in services:
            endpoint = ec2.InterfaceVpcEndpoint(
                self, name, vpc=vpc, service=SERVICES[name], private_dns_enabled=True,
                subnets=subnets or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                security_groups=[self.security_group], open=False,
            )
            if name == "bedrock-runtime" and runtime_resource_arns:
                endpoint.add_to_policy(iam.PolicyStatement(
                    principals=[iam.AnyPrincipal()],
                    actions=list(RUNTIME_ACTIONS),
                    resources=list(runtime_resource_arns),
                    conditions={"StringEquals": {"aws:PrincipalAccount": account}},
                ))
            self.endpoints[name] = endpoint
