"""The Observability stack: one dashboard per environment whose every metric points at that environment,
alarms with thresholds from config that notify the Alerting topic, and a CloudTrail trail with its
security alarms.

The dashboard's DashboardBody is a Fn::Join of JSON text and CloudFormation tokens; :func:`widgets` turns it
back into JSON with each token kept as an object, so a dimension value can be followed to the resource it
names (a Fn::GetStackOutput of another stack of the same environment, or a resource of this stack).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from cdk.components.evaluation_pipeline.construct import METRIC_DIMENSIONS as EVALUATION_DIMENSIONS
from cdk.components.evaluation_pipeline.props import DEFAULT_NAMESPACE as EVALUATION_NAMESPACE
from cdk.components.service_metrics import APP_DIMENSION_SETS
from cdk.components.trail_security_alarms import IAM_POLICY_CHANGES
from cdk.config import load_app_config
from tests.infra.synth import ROOT, StackTemplate, cdk_context

PROJECT = "genai"
# The dimension names each AWS namespace's widgets must use (and nothing else).
DIMENSIONS = {
    "AWS/ApiGateway": {"ApiName", "Stage"},
    "AWS/Lambda": {"FunctionName"},
    "AWS/Bedrock": {"ModelId"},
    "AWS/Bedrock/Guardrails": {"GuardrailArn", "GuardrailVersion"},
    "AWS/SageMaker": {"EndpointName", "VariantName"},
    "/aws/sagemaker/Endpoints": {"EndpointName", "VariantName"},
    "AWS/States": {"StateMachineArn"},
    "AWS/SQS": {"QueueName"},
}
# Per-environment namespaces of the app's own workers (Powertools adds the service dimension).
OWN_NAMESPACES = {f"{PROJECT}-<env>/KnowledgeBases": {"KnowledgeBase", "service"},
                  # The evaluation worker's metrics (one namespace, the environment a dimension).
                  EVALUATION_NAMESPACE: set(EVALUATION_DIMENSIONS),
                  f"{PROJECT}-<env>/Agents": {"Environment"}}


def _config(environment: str):
    return load_app_config(cdk_context()).environment(environment)


def _observability(synthesized, environment: str) -> StackTemplate:
    return synthesized.stack(environment, "Observability")


def _stack_by_name(synthesized, stack_name: str) -> StackTemplate:
    matches = [s for s in synthesized.stacks if s.stack_name == stack_name]
    assert len(matches) == 1, f"no stack named {stack_name}"
    return matches[0]


# DashboardBody parsing ------------------------------------------------------------------------------------

_TOKEN = "__token_{}__"


def widgets(stack: StackTemplate) -> tuple[list[dict[str, Any]], list[Any]]:
    dashboards = stack.resources_of_type("AWS::CloudWatch::Dashboard")
    assert len(dashboards) == 1, f"{stack.stack_name}: expected one dashboard, found {len(dashboards)}"
    body = next(iter(dashboards.values()))["Properties"]["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    tokens: list[Any] = []
    text = ""
    for part in parts:
        if isinstance(part, str):
            text += part
        else:
            text += _TOKEN.format(len(tokens))
            tokens.append(part)
    return json.loads(text)["widgets"], tokens


def _resolve(value: Any, tokens: list[Any]) -> Any:
    """A widget string that is exactly one token -> the token object; otherwise the string."""
    if isinstance(value, str):
        match = re.fullmatch(r"__token_(\d+)__", value)
        if match:
            return tokens[int(match.group(1))]
    return value


def metric_lines(widget_list: list[dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(widget title, namespace, metric name, {dimension: value}) of every plain metric line."""
    for widget in widget_list:
        for line in widget.get("properties", {}).get("metrics", []):
            if isinstance(line[0], dict):
                continue  # a math or SEARCH expression, checked separately
            values = [v for v in line if not isinstance(v, dict)]
            namespace, metric_name, *pairs = values
            yield widget["properties"].get("title", ""), namespace, metric_name, dict(zip(pairs[::2], pairs[1::2], strict=True))


def expressions(widget_list: list[dict[str, Any]]) -> Iterator[str]:
    for widget in widget_list:
        for line in widget.get("properties", {}).get("metrics", []):
            if isinstance(line[0], dict) and "expression" in line[0]:
                yield line[0]["expression"]


def _follow(synthesized, stack: StackTemplate, value: Any) -> tuple[StackTemplate, Any]:
    """Follow a dimension value to (the stack that defines it, its definition)."""
    if isinstance(value, dict) and "Fn::GetStackOutput" in value:
        ref = value["Fn::GetStackOutput"]
        producer = _stack_by_name(synthesized, ref["StackName"])
        return producer, producer.template["Outputs"][ref["OutputName"]]["Value"]
    return stack, value


def _resource_of(stack: StackTemplate, definition: Any) -> dict[str, Any] | None:
    if isinstance(definition, dict):
        if "Ref" in definition:
            return stack.resources.get(definition["Ref"])
        if "Fn::GetAtt" in definition:
            return stack.resources.get(definition["Fn::GetAtt"][0])
    return None


# The dashboard ---------------------------------------------------------------------------------------------


def test_every_environment_has_exactly_one_dashboard_named_after_it(synthesized):
    for environment in synthesized.environments():
        stack = _observability(synthesized, environment)
        (dashboard,) = stack.resources_of_type("AWS::CloudWatch::Dashboard").values()
        assert dashboard["Properties"]["DashboardName"] == f"{PROJECT}-{environment}-operations"
        others = [s for s in synthesized.stacks if s.environment == environment and s is not stack]
        assert not any(s.resources_of_type("AWS::CloudWatch::Dashboard") for s in others)


def test_every_dashboard_metric_names_a_resource_of_its_own_environment(synthesized):
    checked = 0
    for environment in synthesized.environments():
        stack = _observability(synthesized, environment)
        widget_list, tokens = widgets(stack)
        for title, namespace, metric_name, dimensions in metric_lines(widget_list):
            expected = DIMENSIONS.get(namespace) or OWN_NAMESPACES.get(namespace.replace(f"-{environment}/", "-<env>/"))
            assert expected is not None, (environment, title, namespace)
            assert set(dimensions) == expected, (environment, title, namespace, metric_name, dimensions)
            for name, raw in dimensions.items():
                value = _resolve(raw, tokens)
                producer, definition = _follow(synthesized, stack, value)
                assert producer.environment == environment, (environment, title, name, producer.stack_name)
                assert producer.stack_name.startswith(f"{PROJECT}-{environment}-"), producer.stack_name
                if isinstance(definition, str):
                    # A literal (a stage or variant name, a pinned version): never another environment's.
                    for other in synthesized.environments():
                        if other != environment:
                            assert f"-{other}-" not in definition and not definition.endswith(f"-{other}"), definition
                else:
                    assert json.dumps(definition).count("Fn::GetStackOutput") == 0, definition
                checked += 1
    assert checked > 0


def test_bedrock_widgets_show_exactly_the_environments_inference_profiles(synthesized):
    for environment in synthesized.environments():
        stack = _observability(synthesized, environment)
        bedrock = synthesized.stack(environment, "Bedrock")
        profiles = set(bedrock.resources_of_type("AWS::Bedrock::ApplicationInferenceProfile"))
        assert profiles, "the Bedrock stack creates one application inference profile per model"
        widget_list, tokens = widgets(stack)
        shown: dict[str, set[str]] = {}
        for title, namespace, metric_name, dimensions in metric_lines(widget_list):
            if namespace != "AWS/Bedrock":
                continue
            producer, definition = _follow(synthesized, stack, _resolve(dimensions["ModelId"], tokens))
            assert producer is bedrock, (title, producer.stack_name)
            assert definition["Fn::GetAtt"][0] in profiles
            shown.setdefault(metric_name, set()).add(definition["Fn::GetAtt"][0])
        expected = {"Invocations", "InvocationLatency", "InputTokenCount", "OutputTokenCount", "InvocationThrottles",
                    "InvocationClientErrors", "InvocationServerErrors"}
        assert set(shown) == expected
        assert all(models == profiles for models in shown.values()), shown


def test_guardrail_widget_uses_the_environments_guardrail_and_pinned_version(synthesized):
    for environment in synthesized.environments():
        stack = _observability(synthesized, environment)
        widget_list, tokens = widgets(stack)
        lines = [line for line in metric_lines(widget_list) if line[1] == "AWS/Bedrock/Guardrails"]
        assert {line[2] for line in lines} >= {"Invocations", "InvocationsIntervened"}
        for _, _, _, dimensions in lines:
            for name in ("GuardrailArn", "GuardrailVersion"):
                producer, definition = _follow(synthesized, stack, _resolve(dimensions[name], tokens))
                assert producer.stack_name == f"{PROJECT}-{environment}-bedrock", (name, producer.stack_name)
                resource = _resource_of(producer, definition)
                assert resource is not None and resource["Type"] in ("AWS::Bedrock::Guardrail",
                                                                     "AWS::Bedrock::GuardrailVersion"), definition


def test_app_metric_searches_are_scoped_to_the_namespace_and_the_environment(synthesized):
    for environment in synthesized.environments():
        stack = _observability(synthesized, environment)
        searches = [e for e in expressions(widgets(stack)[0]) if e.startswith("SEARCH(")]
        api = [s for s in synthesized.stacks if s.environment == environment and s.construct_id == "Api"]
        if not api:
            assert not searches  # no API stack yet: no application section
            continue
        # Tokens is one series per environment: the daily budget alarm reads it, and the dashboard shows that alarm.
        per_series = set(APP_DIMENSION_SETS) - {"Tokens"}
        assert {m for m in APP_DIMENSION_SETS if any(f'MetricName="{m}"' in s for s in searches)} == per_series
        for search in searches:
            assert f'environment="{environment}"' in search, search
            metric = re.search(r'MetricName="(\w+)"', search).group(1)
            schema = re.search(r"\{([^}]*)\}", search).group(1).split(",")
            assert sorted(part.strip('"') for part in schema[1:]) == sorted(APP_DIMENSION_SETS[metric]), search


def _sagemaker(synthesized, environment: str) -> StackTemplate | None:
    found = [s for s in synthesized.stacks if s.environment == environment and s.construct_id == "SageMaker"]
    return found[0] if found else None


def test_endpoint_and_pipeline_rows_name_the_environments_endpoint_and_state_machine(synthesized):
    for environment in synthesized.environments():
        stack = _observability(synthesized, environment)
        sagemaker = _sagemaker(synthesized, environment)
        widget_list, tokens = widgets(stack)
        lines = list(metric_lines(widget_list))
        endpoint_lines = [line for line in lines if line[1] in ("AWS/SageMaker", "/aws/sagemaker/Endpoints")]
        # The evaluation section's runs graph reads the evaluation state machine (tests/unit/evaluation).
        pipeline_lines = [line for line in lines if line[1] == "AWS/States" and not line[0].startswith("Evaluation")]
        endpoints = sagemaker.resources_of_type("AWS::SageMaker::Endpoint") if sagemaker else {}
        machines = sagemaker.resources_of_type("AWS::StepFunctions::StateMachine") if sagemaker else {}
        assert bool(endpoint_lines) == bool(endpoints), environment
        assert bool(pipeline_lines) == bool(machines), environment
        for _, _, metric_name, dimensions in endpoint_lines:
            _, name = _follow(synthesized, stack, _resolve(dimensions["EndpointName"], tokens))
            (endpoint,) = endpoints.values()
            assert name == endpoint["Properties"]["EndpointName"], (environment, metric_name, name)
        for _, _, _, dimensions in pipeline_lines:
            producer, definition = _follow(synthesized, stack, _resolve(dimensions["StateMachineArn"], tokens))
            assert producer is sagemaker and _resource_of(producer, definition) in machines.values(), definition
        if endpoints:
            assert {line[2] for line in endpoint_lines} == {
                "Invocations", "Invocation4XXErrors", "Invocation5XXErrors", "ModelLatency", "OverheadLatency",
                "CPUUtilization", "MemoryUtilization", "DiskUtilization"}
        if machines:
            assert {line[2] for line in pipeline_lines} == {
                "ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut",
                "ExecutionsAborted", "ExecutionTime"}


def test_the_endpoints_rollback_alarms_notify_the_same_environments_topic(synthesized):
    for environment in synthesized.environments():
        sagemaker = _sagemaker(synthesized, environment)
        if sagemaker is None or not sagemaker.resources_of_type("AWS::SageMaker::Endpoint"):
            continue
        topic_output = _alarm_topic_output(synthesized, environment)
        rollback = [r["Properties"] for r in sagemaker.resources_of_type("AWS::CloudWatch::Alarm").values()]
        assert rollback
        for alarm in rollback:
            (action,) = alarm["AlarmActions"]
            assert action["Fn::GetStackOutput"] == {"StackName": f"{PROJECT}-{environment}-alerting",
                                                    "Region": _config(environment).region, "OutputName": topic_output}


# Alarms ----------------------------------------------------------------------------------------------------


def _alarms(stack: StackTemplate) -> list[dict[str, Any]]:
    return [r["Properties"] for r in stack.resources_of_type("AWS::CloudWatch::Alarm").values()]


def _metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    if "MetricName" in alarm:
        return [{"Namespace": alarm["Namespace"], "MetricName": alarm["MetricName"],
                 "Dimensions": alarm.get("Dimensions", [])}]
    return [q["MetricStat"]["Metric"] for q in alarm.get("Metrics", []) if "MetricStat" in q]


def _alarms_on(stack: StackTemplate, namespace: str, metric_name: str) -> list[dict[str, Any]]:
    return [a for a in _alarms(stack)
            if any(m["Namespace"] == namespace and m["MetricName"] == metric_name for m in _metric_stats(a))]


def _alarm_topic_output(synthesized, environment: str) -> str:
    alerting = synthesized.stack(environment, "Alerting")
    topics = set(alerting.resources_of_type("AWS::SNS::Topic"))
    (name,) = [n for n, o in alerting.template.get("Outputs", {}).items() if o["Value"].get("Ref") in topics]
    return name


def test_every_alarm_notifies_the_environments_alarm_topic_and_says_what_to_do(synthesized):
    for environment in synthesized.environments():
        stack = _observability(synthesized, environment)
        topic_output = _alarm_topic_output(synthesized, environment)
        alarms = _alarms(stack)
        assert len(alarms) >= 5
        for alarm in alarms:
            (action,) = alarm["AlarmActions"]
            assert action["Fn::GetStackOutput"]["StackName"] == f"{PROJECT}-{environment}-alerting"
            assert action["Fn::GetStackOutput"]["OutputName"] == topic_output
            assert alarm["TreatMissingData"] == "notBreaching"
            assert alarm["AlarmDescription"].startswith(f"[{environment}] ")
            assert len(alarm["AlarmDescription"]) > 80, alarm["AlarmDescription"]
            assert "AlarmName" not in alarm  # CloudFormation names it: no physical names


def test_service_alarm_thresholds_come_from_config(synthesized):
    for environment in synthesized.environments():
        stack = _observability(synthesized, environment)
        thresholds = _config(environment).observability.alarms
        period = thresholds.period_minutes * 60

        (api_rate,) = _alarms_on(stack, "AWS/ApiGateway", "5XXError")
        assert api_rate["Threshold"] == thresholds.api_5xx_rate_percent
        (expression,) = [q["Expression"] for q in api_rate["Metrics"] if "Expression" in q]
        assert expression == f"IF(requests >= {thresholds.rate_min_samples}, 100 * errors / requests, 0)"
        (errors,) = _alarms_on(stack, "AWS/Lambda", "Errors")
        assert errors["Threshold"] == thresholds.lambda_error_count
        (throttles,) = _alarms_on(stack, "AWS/Lambda", "Throttles")
        assert throttles["Threshold"] == thresholds.lambda_throttle_count
        bedrock = _alarms_on(stack, "AWS/Bedrock", "InvocationThrottles")
        assert len(bedrock) == len(synthesized.stack(environment, "Bedrock").resources_of_type(
            "AWS::Bedrock::ApplicationInferenceProfile"))
        assert {a["Threshold"] for a in bedrock} == {thresholds.bedrock_throttle_count}
        (guardrail,) = _alarms_on(stack, "AWS/Bedrock/Guardrails", "InvocationsIntervened")
        assert guardrail["Threshold"] == thresholds.guardrail_intervention_rate_percent
        for alarm in [api_rate, errors, throttles, *bedrock, guardrail]:
            assert alarm["EvaluationPeriods"] == thresholds.evaluation_periods
            assert alarm["DatapointsToAlarm"] == thresholds.datapoints_to_alarm
            assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
            assert {q["MetricStat"]["Period"] for q in alarm["Metrics"] if "MetricStat" in q} == {period}
        if _alarms_on(stack, "AWS/SageMaker", "Invocation5XXErrors"):
            (endpoint_latency,) = _alarms_on(stack, "AWS/SageMaker", "ModelLatency")
            assert endpoint_latency["Threshold"] == thresholds.endpoint_latency_p99_ms * 1000  # microseconds
            (endpoint_5xx,) = _alarms_on(stack, "AWS/SageMaker", "Invocation5XXErrors")
            assert endpoint_5xx["Threshold"] == thresholds.endpoint_5xx_count


def test_daily_token_budget_alarm_sums_the_environments_tokens_over_one_day(synthesized):
    for environment in synthesized.environments():
        stack = _observability(synthesized, environment)
        budget = _config(environment).observability.daily_token_budget
        (alarm,) = [a for a in _alarms(stack) if any(q.get("MetricStat", {}).get("Period") == 86400
                                                     for q in a.get("Metrics", []))]
        assert alarm["Threshold"] == budget
        assert alarm["EvaluationPeriods"] == 1
        (stat,) = [q for q in alarm["Metrics"] if "MetricStat" in q]
        metric = stat["MetricStat"]["Metric"]
        namespace = _config(environment).api.metrics_namespace
        assert (metric["Namespace"], metric["MetricName"], stat["MetricStat"]["Stat"]) == (namespace, "Tokens", "Sum")
        # Every model call of this environment's API (Bedrock and the Inferentia endpoint), and no other's.
        assert {d["Name"]: d["Value"] for d in metric["Dimensions"]} == {"environment": environment,
                                                                         "service": "orchestrator"}
        (total,) = [q for q in alarm["Metrics"] if q.get("ReturnData", True) and "Expression" in q]
        assert total["Expression"] == f"FILL({stat['Id']}, 0)"


def test_filter_errors_alarm_is_a_metrics_insights_query_of_the_environment(synthesized):
    for environment in synthesized.environments():
        stack = _observability(synthesized, environment)
        alarms = [a for a in _alarms(stack) if any("FilterErrors" in q.get("Expression", "") for q in a.get("Metrics", []))]
        if not [s for s in synthesized.stacks if s.environment == environment and s.construct_id == "Api"]:
            assert not alarms
            continue
        (alarm,) = alarms
        (query,) = alarm["Metrics"]
        assert query["Expression"].startswith("SELECT SUM(FilterErrors) FROM SCHEMA(")
        assert query["Expression"].endswith(f"WHERE environment = '{environment}'")
        assert alarm["Threshold"] == _config(environment).observability.alarms.filter_error_count
        # Metrics Insights alarms evaluate at most three hours of data.
        assert query["Period"] * alarm["EvaluationPeriods"] <= 3 * 3600


# CloudTrail ------------------------------------------------------------------------------------------------


def _account_places(synthesized):
    """(account stack, its place) per account and region (the trail is an account-level singleton, see
    cdk/config/account.py and stacks/account_stack.py)."""
    places = [(synthesized.stack(place.stage_id, "Account"), place)
              for place in load_app_config(cdk_context()).account_places]
    assert places
    return places


TRAIL_PREFIX = "AuditTrail"  # the AuditTrail construct's id in the account stack: its resources' logical ids


def _one(stack: StackTemplate, resource_type: str, prefix: str = TRAIL_PREFIX) -> tuple[str, dict[str, Any]]:
    resources = {lid: r for lid, r in stack.resources_of_type(resource_type).items() if lid.startswith(prefix)}
    assert len(resources) == 1, (stack.stack_name, resource_type, list(resources))
    logical_id, resource = next(iter(resources.items()))
    return logical_id, resource["Properties"]


def test_the_account_stack_has_a_validated_encrypted_multi_region_trail(synthesized):
    for stack, place in _account_places(synthesized):
        _, trail = _one(stack, "AWS::CloudTrail::Trail")
        key_id, _ = _one(stack, "AWS::KMS::Key")
        log_group_id, log_group = _one(stack, "AWS::Logs::LogGroup")
        assert trail["TrailName"] == f"{place.stack_name}-trail"
        assert trail["IsMultiRegionTrail"] is True
        assert trail["IncludeGlobalServiceEvents"] is True
        assert trail["EnableLogFileValidation"] is True
        assert trail["IsLogging"] is True
        assert trail["KMSKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert trail["CloudWatchLogsLogGroupArn"] == {"Fn::GetAtt": [log_group_id, "Arn"]}
        assert trail["EventSelectors"] == [{"IncludeManagementEvents": True, "ReadWriteType": "All"}]
        assert log_group["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert log_group["RetentionInDays"] == place.strictest.observability.cloudtrail.log_retention_days


def test_the_trail_key_policy_lets_cloudtrail_use_it_only_for_this_trail(synthesized):
    for stack, place in _account_places(synthesized):
        _, key = _one(stack, "AWS::KMS::Key")
        assert key["EnableKeyRotation"] is True
        statements = {s.get("Sid"): s for s in key["KeyPolicy"]["Statement"]}
        encrypt = statements["CloudTrailEncryptsThisTrailsLogs"]
        assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        assert encrypt["Action"] == "kms:GenerateDataKey*"
        source_arn = json.dumps(encrypt["Condition"]["StringEquals"]["aws:SourceArn"])
        assert f":trail/{place.stack_name}-trail" in source_arn and "cloudtrail:" in source_arn
        context = json.dumps(encrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:cloudtrail:arn"])
        assert "cloudtrail:*:" in context and ":trail/*" in context
        describe = statements["CloudTrailDescribesTheKey"]
        assert describe["Action"] == "kms:DescribeKey" and "aws:SourceArn" in describe["Condition"]["StringEquals"]
        logs = statements["CloudWatchLogsEncryptsTheTrailLogGroup"]
        assert f"log-group:/cloudtrail/{place.stack_name}-trail" in json.dumps(
            logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"])


def test_the_trail_bucket_is_private_tls_only_versioned_logged_and_expires_on_schedule(synthesized):
    for stack, place in _account_places(synthesized):
        trail_config = place.strictest.observability.cloudtrail
        _, trail = _one(stack, "AWS::CloudTrail::Trail")
        bucket_id = trail["S3BucketName"]["Ref"]
        bucket = stack.resources[bucket_id]["Properties"]
        key_id, _ = _one(stack, "AWS::KMS::Key")
        assert bucket["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
        assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
        (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert encryption["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms",
                                                               "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]}}
        access_logs = bucket["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
        assert stack.resources[access_logs]["Type"] == "AWS::S3::Bucket" and access_logs != bucket_id
        (rule,) = bucket["LifecycleConfiguration"]["Rules"]
        assert rule["Status"] == "Enabled"
        assert rule["ExpirationInDays"] == trail_config.expiration_days
        assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == trail_config.noncurrent_version_expiration_days
        assert [(t["StorageClass"], t["TransitionInDays"]) for t in rule["Transitions"]] == [
            ("STANDARD_IA", trail_config.transition_to_infrequent_access_days),
            ("GLACIER_IR", trail_config.transition_to_glacier_days),
        ]
        assert max(t["TransitionInDays"] for t in rule["Transitions"]) < rule["ExpirationInDays"]
        policies = [r["Properties"] for r in stack.resources_of_type("AWS::S3::BucketPolicy").values()
                    if r["Properties"]["Bucket"] == {"Ref": bucket_id}]
        (policy,) = policies
        statements = policy["PolicyDocument"]["Statement"]
        assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
                   for s in statements)
        # TLS 1.2 at least, like every other bucket of the app.
        assert any(s["Effect"] == "Deny" and s["Condition"] == {"NumericLessThan": {"s3:TlsVersion": 1.2}}
                   for s in statements)
        (only_this_trail,) = [s for s in statements if s.get("Sid") == "OnlyThisTrailDelivers"]
        assert only_this_trail["Effect"] == "Deny"
        assert f":trail/{place.stack_name}-trail" in json.dumps(only_this_trail["Condition"])


def test_stateful_account_resources_follow_the_strictest_environments_removal_policy(synthesized):
    for stack, place in _account_places(synthesized):
        retained = {"Retain", "RetainExceptOnCreate"} if place.strictest.retain_data else {"Delete"}
        for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Logs::LogGroup"):
            for logical_id, resource in stack.resources_of_type(resource_type).items():
                assert resource.get("DeletionPolicy") in retained, (place.stage_id, logical_id)


EXPECTED_PATTERNS = {
    "IamPolicyChanges": IAM_POLICY_CHANGES,
    "BedrockGuardrailChanges": (
        '{ ($.eventSource = "bedrock.amazonaws.com") && (($.eventName = "CreateGuardrail") || '
        '($.eventName = "UpdateGuardrail") || ($.eventName = "DeleteGuardrail") || '
        '($.eventName = "CreateGuardrailVersion")) }'),
    "BedrockInvocationLoggingChanges": (
        '{ ($.eventSource = "bedrock.amazonaws.com") && (($.eventName = "PutModelInvocationLoggingConfiguration") || '
        '($.eventName = "DeleteModelInvocationLoggingConfiguration")) }'),
    "CloudTrailChanges": (
        '{ ($.eventSource = "cloudtrail.amazonaws.com") && (($.eventName = "StopLogging") || '
        '($.eventName = "DeleteTrail") || ($.eventName = "UpdateTrail") || ($.eventName = "PutEventSelectors")) }'),
}


def test_security_metric_filters_watch_the_trail_log_group_with_the_expected_patterns(synthesized):
    for stack, place in _account_places(synthesized):
        log_group_id, _ = _one(stack, "AWS::Logs::LogGroup")
        filters = {f["Properties"]["MetricTransformations"][0]["MetricName"]: f["Properties"]
                   for f in stack.resources_of_type("AWS::Logs::MetricFilter").values()}
        assert {name: f["FilterPattern"] for name, f in filters.items()} == EXPECTED_PATTERNS
        for name, metric_filter in filters.items():
            assert metric_filter["LogGroupName"] == {"Ref": log_group_id}
            (transformation,) = metric_filter["MetricTransformations"]
            assert transformation["MetricValue"] == "1"
            assert transformation["MetricNamespace"] == f"{place.stack_name}/CloudTrail"
            (alarm,) = _alarms_on(stack, f"{place.stack_name}/CloudTrail", name)
            assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
            assert alarm["EvaluationPeriods"] == 1 and alarm["Statistic"] == "Sum" and alarm["Period"] == 300


def test_the_cis_iam_pattern_matches_policy_changes_and_nothing_else():
    names = set(re.findall(r"\$\.eventName=(\w+)", IAM_POLICY_CHANGES))
    assert names == {"DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
                     "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
                     "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy",
                     "AttachGroupPolicy", "DetachGroupPolicy"}


# Trail configuration variants (a small app per variant: Alerting + Observability only) -------------------------


def _variant(cloudtrail: dict[str, Any]) -> dict[str, Any]:
    from aws_cdk import App, Stage
    from aws_cdk.assertions import Template

    from stacks.alerting_stack import AlertingStack
    from stacks.observability_stack import ObservabilityStack

    context = cdk_context()
    dev = dict(context["environments"]["dev"])
    dev["observability"] = {**dev.get("observability", {}), "cloudtrail": cloudtrail}
    config = load_app_config({**context, "environments": {"dev": dev}}).environment("dev")
    app = App(context={k: v for k, v in context.items() if k.startswith("@")})
    stage = Stage(app, "dev")
    alerting = AlertingStack(stage, "Alerting", config=config)
    stack = ObservabilityStack(stage, "Observability", config=config, alarm_topic=alerting.alarm_topic)
    return Template.from_stack(stack).to_json()


def test_an_organization_trail_means_no_trail_but_filters_on_its_log_group():
    template = _variant({"organization_trail_covers_account": True, "existing_log_group_name": "aws-controltower/CloudTrailLogs"})
    types = [r["Type"] for r in template["Resources"].values()]
    assert "AWS::CloudTrail::Trail" not in types and "AWS::S3::Bucket" not in types and "AWS::KMS::Key" not in types
    filters = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Logs::MetricFilter"]
    assert len(filters) == len(EXPECTED_PATTERNS)
    assert {f["LogGroupName"] for f in filters} == {"aws-controltower/CloudTrailLogs"}


def test_no_trail_and_no_log_group_means_no_security_filters():
    template = _variant({"enabled": False})
    types = {r["Type"] for r in template["Resources"].values()}
    assert not types & {"AWS::CloudTrail::Trail", "AWS::Logs::MetricFilter", "AWS::S3::Bucket"}


# The app's metric contract: the runtime emits exactly the dimension sets the dashboard searches ------------------


def test_the_runtime_emits_the_dimension_sets_the_dashboard_and_alarms_read(capsys):
    source = str(ROOT / "lambdas" / "orchestrator")
    if source not in sys.path:
        sys.path.insert(0, source)
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", PROJECT)
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "orchestrator")
    from orchestrator import observability
    from safety._metrics import MetricsSink

    observability.configure(environment="dev", log_level="INFO", service="orchestrator", namespace=PROJECT)
    capsys.readouterr()
    observability.count_request(200)
    observability.metrics.flush_metrics()
    observability.record_model_call(environment="dev", model="m", use_case="summarize", input_tokens=1, output_tokens=2,
                                     latency_ms=3.0, cost_usd=0.1)
    sink = MetricsSink(observability.metrics)
    sink.pii_masked({"NAME": 1})
    sink.blocked("pii")
    sink.guardrail_intervention("input")
    sink.filter_error("pii", "Timeout")
    sink.latency("pii", 1.0)
    emitted: dict[str, tuple[str, ...]] = {}
    for line in capsys.readouterr().out.splitlines():
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == PROJECT
            (dimensions,) = directive["Dimensions"]
            assert document["environment"] == "dev"
            for metric in directive["Metrics"]:
                emitted[metric["Name"]] = tuple(sorted(dimensions))
    assert emitted == {name: tuple(sorted(dims)) for name, dims in APP_DIMENSION_SETS.items()}


@pytest.fixture(autouse=True, scope="module")
def _restore_powertools_environment():
    saved = {k: os.environ.get(k) for k in ("POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME")}
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
