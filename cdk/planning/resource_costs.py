"""Every CloudFormation resource type the app synthesizes, classified for the monthly cost report.

A type is one of:

- ``priced``: a fixed monthly charge the report computes from the resource's properties and ``service_prices.json``;
- ``usage``: no charge while idle, billed per request/GB/token (the per-1,000-requests table covers the app's path);
- ``free``: no charge of its own (configuration, permissions, wiring);
- ``unpriced``: billable, but this table has no price for it; the report lists it, never counts it as zero.

A type missing from :data:`CLASSIFICATION` is reported as unpriced ("not classified"), and
``tests/infra/test_cost_report.py`` fails on it: whoever adds a resource type classifies it here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cdk.planning.service_prices import Price, ServicePrices

__all__ = ["CLASSIFICATION", "CLOUDTRAIL_EVENTS_PER_MONTH", "Charge", "Classification", "Kind", "PricingContext",
           "ResourceCost", "classify", "price_resources"]

DAYS_PER_MONTH = 365 / 12
HOURS_PER_MONTH = 730
# Management events one environment's trail delivers per month: a stated assumption (an idle small account logs
# tens of thousands; a busy one millions). Only a trail that is not the account's first copy pays for them.
CLOUDTRAIL_EVENTS_PER_MONTH = 200_000
# A VPC endpoint whose subnets are not literal in the template (imported VPC) is assumed to span this many AZs.
ASSUMED_ENDPOINT_AZS = 2


class Kind(StrEnum):
    PRICED = "priced"
    USAGE = "usage"
    FREE = "free"
    UNPRICED = "unpriced"


@dataclass(frozen=True)
class Charge:
    """One fixed monthly charge: ``quantity`` units at ``price``."""

    quantity: float
    price: Price
    note: str = ""

    @property
    def monthly(self) -> float | None:
        return None if self.price.usd is None else self.quantity * self.price.usd


@dataclass(frozen=True)
class PricingContext:
    """What a pricer needs beyond the resource: the region, the price table, and the SageMaker endpoint's monthly
    cost row (from ``cost_report.monthly_fixed_cost``: the schedule lives in config, not in the template)."""

    region: str
    prices: ServicePrices
    endpoint: Mapping[str, Any] | None = None
    # Whether this environment's trail (if it has one) is its account's first copy of management events, which
    # CloudTrail delivers free: the config knows (one owner per account and region; the trail is multi-region, so
    # only the first owner in an account is the first copy). False when unknown: priced as a paid copy.
    trail_first_copy: bool = False

    def price(self, key: str) -> Price:
        return self.prices.price(key, self.region)


Pricer = Callable[[Mapping[str, Any], PricingContext], list[Charge]]


@dataclass(frozen=True)
class Classification:
    kind: Kind
    reason: str
    pricer: Pricer | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ResourceCost:
    stack: str
    logical_id: str
    resource_type: str
    kind: Kind
    charges: tuple[Charge, ...]
    note: str

    @property
    def monthly(self) -> float | None:
        """The fixed monthly cost; None when a price is missing or the type is unpriced."""
        if self.kind is Kind.UNPRICED:
            return None
        values = [charge.monthly for charge in self.charges]
        return None if any(value is None for value in values) else sum(values, 0.0)


def _per_month(key: str, note: str = "") -> Pricer:
    return lambda props, ctx: [Charge(1, ctx.price(key), note)]


def _alarm(props: Mapping[str, Any], ctx: PricingContext) -> list[Charge]:
    metrics = props.get("Metrics")
    if metrics:  # metric math: each metric in the expression is billed as an alarm metric
        stats = [m["MetricStat"] for m in metrics if "MetricStat" in m]
        count = max(1, len(stats))
        periods = [stat.get("Period", 60) for stat in stats] or [60]
    else:
        count, periods = 1, [props.get("Period", 60)]
    high = any(isinstance(period, int) and period < 60 for period in periods)
    key = "cloudwatch.high_resolution_alarm_metric_month" if high else "cloudwatch.alarm_metric_month"
    return [Charge(count, ctx.price(key), f"{count} metric{'s' if count > 1 else ''}" + (", high resolution" if high else ""))]


def _kms_key(props: Mapping[str, Any], ctx: PricingContext) -> list[Charge]:
    """A key-month; with yearly rotation each of the first two rotations adds one (capped there since April 2024:
    archived AWS KMS pricing page and third-party write-ups; unverified against the live page)."""
    price = ctx.price("kms.key_month")
    if props.get("EnableKeyRotation") is not True:
        return [Charge(1, price)]
    later = "n/a" if price.usd is None else f"${2 * price.usd:.2f} in the 2nd year, ${3 * price.usd:.2f} from the 3rd"
    return [Charge(1, price, f"first year; rotating yearly: {later}")]


def _metric_filter(props: Mapping[str, Any], ctx: PricingContext) -> list[Charge]:
    count = len(props.get("MetricTransformations") or [1])
    return [Charge(count, ctx.price("cloudwatch.custom_metric_month"), "custom metrics once the filter publishes")]


def _web_acl(props: Mapping[str, Any], ctx: PricingContext) -> list[Charge]:
    rules = len(props.get("Rules") or [])
    return [Charge(1, ctx.price("waf.web_acl_month")),
            Charge(rules, ctx.price("waf.rule_month"), f"{rules} rules; requests: see the per-request table")]


def _vpc_endpoint(props: Mapping[str, Any], ctx: PricingContext) -> list[Charge]:
    if props.get("VpcEndpointType", "Gateway") != "Interface":
        return []  # gateway endpoints (S3, DynamoDB) have no charge
    subnets = props.get("SubnetIds")
    azs = len(subnets) if isinstance(subnets, list) else ASSUMED_ENDPOINT_AZS
    note = f"{azs} AZs" if isinstance(subnets, list) else f"{azs} AZs assumed (subnets not literal)"
    return [Charge(azs * HOURS_PER_MONTH, ctx.price("vpc.interface_endpoint_az_hour"), note)]


def _trail(props: Mapping[str, Any], ctx: PricingContext) -> list[Charge]:
    if ctx.trail_first_copy:
        return [Charge(0, ctx.price("cloudtrail.paid_copy_100k_events"),
                       "the account's first copy of management events (free): the only trail this app keeps there")]
    return [Charge(CLOUDTRAIL_EVENTS_PER_MONTH / 100_000, ctx.price("cloudtrail.paid_copy_100k_events"),
                   f"assumes {CLOUDTRAIL_EVENTS_PER_MONTH:,} management events/month and that this trail is not the "
                   "account's first copy (the first copy is free)")]


def _lambda_function(props: Mapping[str, Any], ctx: PricingContext) -> list[Charge]:
    """SnapStart's fixed part: the live version's snapshot stays cached (billed per GB-second of the function's
    memory) as long as the version is active; each restore (a cold start) bills per GB restored, a usage cost."""
    if (props.get("SnapStart") or {}).get("ApplyOn") != "PublishedVersions":
        return []
    memory_mb = props.get("MemorySize", 128)
    restore = ctx.price("lambda.snapstart_restore_gb")
    per_restore = "n/a" if restore.usd is None else f"${restore.usd * memory_mb / 1024:.6f}"
    return [Charge(memory_mb / 1024 * HOURS_PER_MONTH * 3600, ctx.price("lambda.snapstart_cache_gb_second"),
                   f"SnapStart cache of one live version, {memory_mb} MB; each cold start adds a restore ({per_restore})")]


def _budget(props: Mapping[str, Any], ctx: PricingContext) -> list[Charge]:
    return [Charge(DAYS_PER_MONTH, ctx.price("budgets.budget_day"), "free if among the account's first two budgets")]


def _endpoint(props: Mapping[str, Any], ctx: PricingContext) -> list[Charge]:
    row = ctx.endpoint
    if row is None:
        missing = Price("sagemaker.instance_hour", ctx.region, None, "per instance-hour", "no endpoint config", False)
        return [Charge(0, missing, "the endpoint's count and schedule come from the environment's config")]
    price = Price(f"sagemaker.{row['instance_type']}", row["region"], row["price_per_instance_hour"],
                  "per instance-hour", "cdk/planning/prices.json", bool(row["price_verified"]))
    detail = f"{row['count']} x {row['instance_type']}, {row.get('schedule') or 'always on'}"
    if row.get("note"):
        detail += f"; {row['note']}"
    if not row["enabled"]:
        return [Charge(0, price, detail)]
    return [Charge(row["instance_hours"], price, detail)]


def _api_stage(props: Mapping[str, Any], ctx: PricingContext) -> list[Charge]:
    if not props.get("CacheClusterEnabled"):
        return []
    missing = Price("apigateway.cache_hour", ctx.region, None, "per cache-hour", "API cache not in the table", False)
    return [Charge(HOURS_PER_MONTH, missing, f"cache cluster {props.get('CacheClusterSize', '0.5')} GB")]


def _ssm_parameter(props: Mapping[str, Any], ctx: PricingContext) -> list[Charge]:
    if props.get("Tier", "Standard") == "Standard":
        return []
    return [Charge(1, ctx.price("ssm.advanced_parameter_month"), f"{props.get('Tier')} tier parameter")]


def _nat(props: Mapping[str, Any], ctx: PricingContext) -> list[Charge]:
    return [Charge(HOURS_PER_MONTH, ctx.price("vpc.nat_gateway_hour"), "plus data processed")]


P, U, F, X = Kind.PRICED, Kind.USAGE, Kind.FREE, Kind.UNPRICED

_FREE_WIRING = "configuration or wiring; no charge of its own"
_SEE_REQUESTS = "see the per-1,000-requests table"

CLASSIFICATION: Mapping[str, Classification] = {
    # priced: a fixed monthly charge
    "AWS::KMS::Key": Classification(P, "$1 per key-month (+ per rotation, first two)", _kms_key),
    "AWS::CloudWatch::Dashboard": Classification(P, "per dashboard-month", _per_month("cloudwatch.dashboard_month")),
    "AWS::CloudWatch::Alarm": Classification(P, "per alarm metric-month (standard / high resolution)", _alarm),
    "AWS::CloudWatch::CompositeAlarm": Classification(P, "per composite alarm-month",
                                                      _per_month("cloudwatch.composite_alarm_month")),
    "AWS::Logs::MetricFilter": Classification(P, "publishes custom metrics", _metric_filter),
    "AWS::WAFv2::WebACL": Classification(P, "per web ACL and rule; requests are usage", _web_acl),
    "AWS::EC2::VPCEndpoint": Classification(P, "interface endpoints per AZ-hour; gateway endpoints free", _vpc_endpoint),
    "AWS::EC2::NatGateway": Classification(P, "per NAT gateway-hour + GB processed", _nat),
    "AWS::SecretsManager::Secret": Classification(P, "per secret-month", _per_month("secretsmanager.secret_month")),
    "AWS::CloudTrail::Trail": Classification(P, "management events beyond the account's first copy", _trail),
    "AWS::SSM::Parameter": Classification(P, "Standard tier free; Advanced per parameter-month", _ssm_parameter),
    "AWS::Budgets::Budget": Classification(P, "per budget-day beyond two free per account", _budget),
    "AWS::ApiGateway::Stage": Classification(P, "free unless its cache cluster is on (per cache-hour)", _api_stage),
    "AWS::SageMaker::Endpoint": Classification(P, "instance-hours at the configured count and schedule", _endpoint),
    # usage: nothing while idle
    "AWS::Lambda::Function": Classification(U, f"requests and GB-seconds ({_SEE_REQUESTS}); with SnapStart a snapshot "
                                               "cache per GB-second", _lambda_function),
    "AWS::ApiGateway::RestApi": Classification(U, f"per API call; {_SEE_REQUESTS}"),
    "AWS::DynamoDB::Table": Classification(U, "on-demand request units, storage and PITR per GB-month"),
    "AWS::S3::Bucket": Classification(U, "storage per GB-month and requests"),
    "AWS::SNS::Topic": Classification(U, "per publish and delivery"),
    "AWS::SQS::Queue": Classification(U, "per request"),
    "AWS::StepFunctions::StateMachine": Classification(U, "per state transition (standard workflows)"),
    "AWS::Logs::LogGroup": Classification(U, f"ingestion per GB and storage per GB-month; {_SEE_REQUESTS}"),
    "AWS::Bedrock::Guardrail": Classification(U, f"per 1,000 text units per policy; {_SEE_REQUESTS}"),
    "AWS::Bedrock::KnowledgeBase": Classification(U, "no fixed cost itself; its vector store and embedding model bill"),
    "AWS::Bedrock::DataSource": Classification(U, "ingestion bills the embedding model's tokens"),
    "AWS::S3Vectors::VectorBucket": Classification(U, "vector storage per GB-month, PUT per GB, queries per call"),
    "AWS::S3Vectors::Index": Classification(U, "billed through its vector bucket (storage, PUT, queries)"),
    "AWS::Cognito::UserPool": Classification(U, "per monthly active user beyond the free tier"),
    "AWS::CloudFront::Distribution": Classification(U, "requests and data transfer out; no fixed fee (pay as you go)"),
    "AWS::CloudFront::Function": Classification(U, "per invocation"),
    "AWS::BedrockAgentCore::Runtime": Classification(U, "consumption-based: vCPU-hours and GB-hours while active"),
    "AWS::BedrockAgentCore::RuntimeEndpoint": Classification(U, "billed through its runtime"),
    "AWS::BedrockAgentCore::Memory": Classification(U, "per event stored, record stored and retrieval"),
    "AWS::BedrockAgentCore::Gateway": Classification(U, "per tool invocation and search"),
    "AWS::BedrockAgentCore::GatewayTarget": Classification(U, "billed through its gateway"),
    "AWS::BedrockAgentCore::PolicyEngine": Classification(U, "per authorization request the gateway makes"),
    "AWS::BedrockAgentCore::Policy": Classification(U, "billed through its policy engine"),
    "AWS::Logs::Delivery": Classification(U, "vended logs/traces delivered per GB (here: the agent runtime's X-Ray "
                                             "spans to X-Ray, billed as traces recorded)"),
    "AWS::Events::Rule": Classification(U, "AWS service events free; custom events per million"),
    "AWS::CodeBuild::Project": Classification(U, "per build-minute"),
    "AWS::CodePipeline::Pipeline": Classification(U, "V2 pipelines per action execution-minute"),
    "AWS::ECR::Repository": Classification(U, "storage per GB-month"),
    "AWS::KinesisFirehose::DeliveryStream": Classification(U, "per GB ingested"),
    # free: no charge of its own
    **{resource_type: Classification(F, _FREE_WIRING) for resource_type in (
        "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::OIDCProvider",
        "AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping", "AWS::Lambda::Version", "AWS::Lambda::Alias",
        "AWS::Lambda::LayerVersion",  # the BucketDeployment's AWS CLI layer: code storage, no charge of its own
        "AWS::ApiGateway::Account", "AWS::ApiGateway::Deployment", "AWS::ApiGateway::GatewayResponse",
        "AWS::ApiGateway::Method", "AWS::ApiGateway::Model", "AWS::ApiGateway::RequestValidator",
        "AWS::ApiGateway::Resource", "AWS::ApiGateway::UsagePlan", "AWS::ApiGateway::UsagePlanKey",
        "AWS::ApiGateway::ApiKey", "AWS::ApiGateway::Authorizer",
        "AWS::ApplicationAutoScaling::ScalableTarget", "AWS::ApplicationAutoScaling::ScalingPolicy",
        "AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy", "AWS::SNS::Subscription", "AWS::SQS::QueuePolicy",
        "AWS::KMS::Alias", "AWS::Logs::ResourcePolicy", "AWS::Logs::SubscriptionFilter",
        "AWS::WAFv2::WebACLAssociation", "AWS::WAFv2::LoggingConfiguration",
        "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress",
        "AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::ModelPackageGroup",
        "AWS::S3Vectors::VectorBucketPolicy", "AWS::CloudFront::OriginAccessControl",
        "AWS::CloudFront::ResponseHeadersPolicy", "AWS::CloudFront::CachePolicy", "AWS::CloudFront::OriginRequestPolicy",
        "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolDomain", "AWS::Cognito::UserPoolGroup",
        "AWS::Cognito::UserPoolResourceServer", "AWS::CDK::Metadata", "AWS::CloudFormation::CustomResource",
        "AWS::BedrockAgentCore::WorkloadIdentity",
        "AWS::Logs::DeliverySource", "AWS::Logs::DeliveryDestination", "AWS::XRay::ResourcePolicy",
    )},
    # The playground's sign-in: identity pools bill nothing themselves (the user pool's MAUs and the API calls made with
    # the credentials do); stated from the Amazon Cognito pricing page's scope (user pools only), unverified offline.
    "AWS::Cognito::IdentityPool": Classification(F, "no charge of its own: the user pool's MAUs and the calls bill"),
    "AWS::Cognito::IdentityPoolRoleAttachment": Classification(F, _FREE_WIRING),
    "AWS::Bedrock::GuardrailVersion": Classification(F, "a snapshot of the guardrail; use bills the guardrail"),
    "AWS::Bedrock::ApplicationInferenceProfile": Classification(F, "tags model usage; the model's tokens bill"),
    "AWS::Bedrock::Prompt": Classification(F, "prompt management stores prompts at no charge; inference bills the model"),
    "AWS::Bedrock::PromptVersion": Classification(F, "a snapshot of a prompt"),
    # unpriced: billable, no price in the table (listed so that nobody reads them as free)
    "AWS::OpenSearchServerless::Collection": Classification(X, "billed per OCU-hour (minimum 2 OCUs); not in the table"),
    "AWS::EC2::Instance": Classification(X, "per instance-hour; not in the table"),
    "AWS::EC2::EIP": Classification(X, "per public IPv4 address-hour; not in the table"),
    "AWS::RDS::DBInstance": Classification(X, "per instance-hour; not in the table"),
}

_CUSTOM_RESOURCE = Classification(F, "a Lambda-backed custom resource; runs only at deploy time")


def classify(resource_type: str) -> Classification | None:
    """The classification of ``resource_type``; None when nobody has classified it."""
    if resource_type.startswith("Custom::"):
        return _CUSTOM_RESOURCE
    return CLASSIFICATION.get(resource_type)


def price_resources(stack: str, template: Mapping[str, Any], context: PricingContext) -> list[ResourceCost]:
    """One :class:`ResourceCost` per resource of ``template`` (a synthesized CloudFormation template)."""
    costs = []
    for logical_id, resource in template.get("Resources", {}).items():
        resource_type = resource["Type"]
        classification = classify(resource_type)
        if classification is None:
            costs.append(ResourceCost(stack, logical_id, resource_type, Kind.UNPRICED, (),
                                      "not classified in cdk/planning/resource_costs.py"))
            continue
        charges = ()
        if classification.pricer is not None:
            charges = tuple(classification.pricer(resource.get("Properties", {}), context))
        costs.append(ResourceCost(stack, logical_id, resource_type, classification.kind, charges, classification.reason))
    return costs
