"""Fixed monthly cost of single resources: what is counted, and that nothing billable becomes a silent zero."""

from __future__ import annotations

import pytest

from cdk.planning.resource_costs import Kind, PricingContext, price_resources
from cdk.planning.service_prices import load_service_prices


def _cost(resource_type, props=None, region="eu-west-1", endpoint=None):
    template = {"Resources": {"R": {"Type": resource_type, "Properties": props or {}}}}
    context = PricingContext(region=region, prices=load_service_prices(), endpoint=endpoint)
    [cost] = price_resources("stack", template, context)
    return cost


def test_an_unclassified_type_is_unpriced_never_zero():
    cost = _cost("AWS::Made::Up")
    assert cost.kind is Kind.UNPRICED and cost.monthly is None
    assert "not classified" in cost.note


def test_a_metric_math_alarm_pays_for_each_metric_and_high_resolution_costs_more():
    stat = {"Metric": {"MetricName": "Errors", "Namespace": "X"}, "Period": 300, "Stat": "Sum"}
    math_alarm = _cost("AWS::CloudWatch::Alarm", {"Metrics": [
        {"Id": "a", "MetricStat": stat}, {"Id": "b", "MetricStat": stat}, {"Id": "rate", "Expression": "a/b"}]})
    assert math_alarm.monthly == pytest.approx(0.20)
    high = _cost("AWS::CloudWatch::Alarm", {"MetricName": "Errors", "Period": 10})
    assert high.monthly == pytest.approx(0.30)


def test_interface_endpoints_bill_per_az_hour_and_gateway_endpoints_are_free():
    interface = _cost("AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Interface", "SubnetIds": ["a", "b", "c"]})
    assert interface.monthly == pytest.approx(3 * 730 * 0.011)
    assert _cost("AWS::EC2::VPCEndpoint", {"ServiceName": "s3"}).monthly == 0


def test_web_acl_pays_for_the_acl_and_each_rule():
    assert _cost("AWS::WAFv2::WebACL", {"Rules": [{}, {}, {}]}).monthly == pytest.approx(5 + 3)


def test_a_price_missing_for_the_region_leaves_the_cost_unknown():
    assert _cost("AWS::EC2::NatGateway", region="ap-south-2").monthly is None
    assert _cost("AWS::KMS::Key", region="ap-south-2").monthly == pytest.approx(1.0)  # same price everywhere


def test_sagemaker_endpoint_uses_the_scheduled_instance_hours():
    row = {"instance_type": "ml.inf2.xlarge", "region": "us-east-1", "price_per_instance_hour": 0.99,
           "price_verified": False, "count": 2, "schedule": None, "note": "", "enabled": True, "instance_hours": 1000.0}
    assert _cost("AWS::SageMaker::Endpoint", endpoint=row).monthly == pytest.approx(990.0)
    assert _cost("AWS::SageMaker::Endpoint").monthly is None  # without the config's schedule: unknown


def test_custom_resources_and_usage_types_have_no_fixed_cost():
    assert _cost("Custom::Anything").kind is Kind.FREE
    assert _cost("AWS::Lambda::Function").kind is Kind.USAGE and _cost("AWS::Lambda::Function").monthly == 0


def test_a_trail_that_is_the_accounts_first_copy_is_free_and_a_further_copy_pays():
    template = {"Resources": {"T": {"Type": "AWS::CloudTrail::Trail", "Properties": {}}}}
    prices = load_service_prices()
    [first] = price_resources("s", template, PricingContext("eu-west-1", prices, trail_first_copy=True))
    [paid] = price_resources("s", template, PricingContext("eu-west-1", prices))
    assert first.monthly == 0 and "first copy" in first.charges[0].note
    assert paid.monthly == pytest.approx(2 * 2.00)  # 200,000 events at $2.00 per 100,000


def test_snap_start_adds_the_snapshot_cache_of_the_live_version_and_is_missing_where_unpriced():
    props = {"MemorySize": 1024, "SnapStart": {"ApplyOn": "PublishedVersions"}}
    cached = _cost("AWS::Lambda::Function", props, region="us-east-1")
    assert cached.kind is Kind.USAGE
    assert cached.monthly == pytest.approx(1 * 730 * 3600 * 0.0000015046)
    assert "restore" in cached.charges[0].note
    assert _cost("AWS::Lambda::Function", props, region="eu-west-1").monthly is None  # no price there: not zero
    assert _cost("AWS::Lambda::Function", {"MemorySize": 1024}).monthly == 0


def test_a_rotating_key_says_what_it_costs_once_rotated():
    """Every key the app creates rotates yearly, and each of the first two rotations adds a key-month ($3 a month from
    the third year, AWS KMS pricing since April 2024): the report priced every key at $1 with no word of it."""
    rotating = _cost("AWS::KMS::Key", {"EnableKeyRotation": True})
    assert rotating.monthly == 1.0 and "$3" in rotating.charges[0].note
    assert _cost("AWS::KMS::Key", {"EnableKeyRotation": False}).charges[0].note == ""
