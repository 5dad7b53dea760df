"""`make doctor`: every check's pass and fail, offline against botocore's Stubber; the README section is current."""

from __future__ import annotations

import importlib.util
import sys

import boto3
import pytest
from botocore.stub import Stubber

from cdk.config import load_app_config
from cdk.config.account import place_of
from tests.infra.synth import ROOT, cdk_context

_spec = importlib.util.spec_from_file_location("doctor", ROOT / "scripts" / "doctor.py")
doctor = sys.modules.setdefault("doctor", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(doctor)

CHECKS = {check.id: check for check in doctor.CHECKS}
ROLE = "arn:aws:iam::111122223333:role/genai-prod-api-ApiGatewayAccountRole"


class Stubs:
    """One stubbed boto3 client per service; queue responses with ``add``/``error`` before running a check."""

    def __init__(self) -> None:
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                         region_name="eu-west-1")
        self.clients, self.stubbers = {}, {}
        for service in ("service-quotas", "lambda", "bedrock", "comprehend", "apigateway", "ssm", "cloudtrail"):
            self.clients[service] = session.client(service)
            self.stubbers[service] = Stubber(self.clients[service])
            self.stubbers[service].activate()

    def add(self, service: str, operation: str, response: dict) -> Stubs:
        self.stubbers[service].add_response(operation, response)
        return self

    def error(self, service: str, operation: str, code: str) -> Stubs:
        self.stubbers[service].add_client_error(operation, service_error_code=code, service_message=code)
        return self

    def context(self, env_name: str) -> doctor.Context:
        config = load_app_config(cdk_context())
        env = config.environment(env_name)
        sharing = tuple(e for e in config.environments if place_of(e) == place_of(env))
        return doctor.Context(env=env, sharing=sharing, client=self.clients.__getitem__)

    def assert_done(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


def _run(check_id: str, stubs: Stubs, env: str = "prod") -> list[doctor.Outcome]:
    outcomes = [outcome for _, outcome in doctor.run_checks(stubs.context(env), [CHECKS[check_id]])]
    stubs.assert_done()
    return outcomes


def _quota(name: str, value: float, code: str = "L-12345678") -> dict:
    return {"ServiceCode": "sagemaker", "QuotaName": name, "QuotaCode": code, "Value": value}


def _quotas(**values: float) -> dict:
    return {"Quotas": [_quota(name.replace("_", " ").replace("ml ", "ml.").replace(" x", "x"), value)
                       for name, value in values.items()]}


# The shipped environments share eu-west-1: staging ml.inf2.xlarge (peak 3) and prod ml.inf2.8xlarge (peak 6),
# both doubled for blue/green; dev trains on one ml.trn1.2xlarge.
ENOUGH = {"Quotas": [_quota("ml.inf2.xlarge for endpoint usage", 6), _quota("ml.inf2.8xlarge for endpoint usage", 12),
                     _quota("ml.trn1.2xlarge for training job usage", 1)]}


def test_every_check_is_tested_here():
    assert set(CHECKS) == {"endpoint_quota", "training_quota", "instance_types", "lambda_concurrency",
                           "bedrock_model_access", "comprehend_toxicity", "api_gateway_role", "cdk_bootstrap",
                           "account_singletons"}


def test_endpoint_quota_passes_with_double_the_peak_of_every_environment_sharing_the_account():
    outcomes = _run("endpoint_quota", Stubs().add("service-quotas", "list_service_quotas", ENOUGH))
    assert [(o.item, o.ok) for o in outcomes] == [("ml.inf2.8xlarge", True), ("ml.inf2.xlarge", True)]


def test_endpoint_quota_fails_below_the_blue_green_peak_with_the_quota_request_command():
    quotas = {"Quotas": [_quota("ml.inf2.xlarge for endpoint usage", 6),
                         _quota("ml.inf2.8xlarge for endpoint usage", 6, code="L-INF28XL")]}
    (big, _) = _run("endpoint_quota", Stubs().add("service-quotas", "list_service_quotas", quotas))
    assert not big.ok and "quota 6, needed 12" in big.detail
    assert "--quota-code L-INF28XL --desired-value 12" in big.fix


def test_training_quota_pass_and_fail():
    (ok,) = _run("training_quota", Stubs().add("service-quotas", "list_service_quotas", ENOUGH), env="dev")
    assert ok.ok and ok.item == "ml.trn1.2xlarge"
    zero = {"Quotas": [_quota("ml.trn1.2xlarge for training job usage", 0)]}
    (low,) = _run("training_quota", Stubs().add("service-quotas", "list_service_quotas", zero), env="dev")
    assert not low.ok and "request-service-quota-increase" in low.fix


def test_instance_types_pass_when_the_region_has_their_quotas_and_fail_when_it_does_not():
    assert all(o.ok for o in _run("instance_types", Stubs().add("service-quotas", "list_service_quotas", ENOUGH)))
    missing = {"Quotas": [_quota("ml.inf2.xlarge for endpoint usage", 6)]}
    outcomes = {o.item: o for o in _run("instance_types", Stubs().add("service-quotas", "list_service_quotas", missing))}
    assert outcomes["ml.inf2.xlarge"].ok
    assert not outcomes["ml.inf2.8xlarge"].ok and "not offered in eu-west-1" in outcomes["ml.inf2.8xlarge"].detail


def _account_settings(limit: int) -> dict:
    return {"AccountLimit": {"ConcurrentExecutions": limit, "UnreservedConcurrentExecutions": limit}}


def test_lambda_concurrency_needs_every_reservation_plus_100_unreserved():
    (ok,) = _run("lambda_concurrency", Stubs().add("lambda", "get_account_settings", _account_settings(1000)))
    assert ok.ok and "= 230" in ok.detail  # dev 10 + staging 20 + prod 100 + 100
    (low,) = _run("lambda_concurrency", Stubs().add("lambda", "get_account_settings", _account_settings(10)))
    assert not low.ok and "Concurrent executions" in low.fix


def _availability(model_id: str, *, entitlement="AVAILABLE", agreement="AVAILABLE", authorized="AUTHORIZED") -> dict:
    return {"modelId": model_id, "agreementAvailability": {"status": agreement}, "authorizationStatus": authorized,
            "entitlementAvailability": entitlement, "regionAvailability": "AVAILABLE"}


def test_bedrock_model_access_is_checked_for_every_allow_listed_model():
    models = load_app_config(cdk_context()).environment("prod").bedrock.models
    stubs = Stubs()
    for model in models:
        stubs.stubbers["bedrock"].add_response("get_foundation_model_availability", _availability(
            model.foundation_model_id), {"modelId": model.foundation_model_id})
    assert [(o.item, o.ok) for o in _run("bedrock_model_access", stubs)] == [(m.id, True) for m in models]


def test_bedrock_model_access_fails_with_the_form_and_the_marketplace_step():
    models = load_app_config(cdk_context()).environment("prod").bedrock.models
    stubs = Stubs()
    for model in models:
        stubs.add("bedrock", "get_foundation_model_availability", _availability(
            model.foundation_model_id, entitlement="NOT_AVAILABLE", agreement="PENDING"))
    outcomes = _run("bedrock_model_access", stubs)
    assert not any(o.ok for o in outcomes)
    assert "use-case form" in outcomes[0].fix and "Marketplace" in outcomes[0].fix


def test_comprehend_toxicity_pass_and_fail():
    (ok,) = _run("comprehend_toxicity", Stubs().add("comprehend", "detect_toxic_content", {"ResultList": []}))
    assert ok.ok
    (bad,) = _run("comprehend_toxicity", Stubs().error("comprehend", "detect_toxic_content", "UnsupportedLanguage"))
    assert not bad.ok and "fails closed" in bad.fix


def test_api_gateway_role_set_passes_unset_fails_for_others_but_not_for_the_owner():
    (ok,) = _run("api_gateway_role", Stubs().add("apigateway", "get_account", {"cloudwatchRoleArn": ROLE}), env="dev")
    assert ok.ok
    (dev,) = _run("api_gateway_role", Stubs().add("apigateway", "get_account", {}), env="dev")
    assert not dev.ok and "make deploy ENV=prod" in dev.fix
    (prod,) = _run("api_gateway_role", Stubs().add("apigateway", "get_account", {}), env="prod")
    assert prod.ok and "sets it" in prod.detail


def _parameter(value: str) -> dict:
    return {"Parameter": {"Name": "/cdk-bootstrap/hnb659fds/version", "Type": "String", "Value": value}}


def test_bootstrap_version_pass_old_and_missing():
    (ok,) = _run("cdk_bootstrap", Stubs().add("ssm", "get_parameter", _parameter("27")))
    assert ok.ok
    (old,) = _run("cdk_bootstrap", Stubs().add("ssm", "get_parameter", _parameter("5")))
    assert not old.ok and "cdk bootstrap" in old.fix
    (missing,) = _run("cdk_bootstrap", Stubs().error("ssm", "get_parameter", "ParameterNotFound"))
    assert not missing.ok and missing.detail == "not bootstrapped"


def _logging(group: str | None) -> dict:
    return {"loggingConfig": {"cloudWatchConfig": {"logGroupName": group, "roleArn": ROLE}}} if group else {}


def _trails(*names: str) -> dict:
    return {"trailList": [{"Name": name} for name in names]}


def test_singletons_pass_when_only_the_owner_holds_them():
    stubs = (Stubs().add("bedrock", "get_model_invocation_logging_configuration",
                         _logging("/genai/prod/bedrock/model-invocations"))
             .add("cloudtrail", "describe_trails", _trails("genai-prod-trail", "org-trail")))
    assert all(o.ok for o in _run("account_singletons", stubs, env="dev"))


def test_singletons_fail_on_a_left_over_environment_trail_or_a_foreign_logging_owner():
    stubs = (Stubs().add("bedrock", "get_model_invocation_logging_configuration",
                         _logging("/genai/dev/bedrock/model-invocations"))
             .add("cloudtrail", "describe_trails", _trails("genai-prod-trail", "genai-dev-trail")))
    logging, trail = _run("account_singletons", stubs)
    assert not logging.ok and "another owner" in logging.fix
    assert not trail.ok and "delete genai-dev-trail" in trail.fix


def test_singletons_before_the_owner_is_deployed_fail_for_others_and_pass_for_the_owner():
    def stubs():
        return (Stubs().add("bedrock", "get_model_invocation_logging_configuration", {})
                .add("cloudtrail", "describe_trails", _trails()))
    logging, _ = _run("account_singletons", stubs(), env="staging")
    assert not logging.ok and "deploy prod (the owner) first" in logging.fix
    assert all(o.ok for o in _run("account_singletons", stubs(), env="prod"))


def test_a_denied_call_fails_the_check_naming_the_read_only_permission():
    (denied,) = _run("lambda_concurrency", Stubs().error("lambda", "get_account_settings", "AccessDeniedException"))
    assert not denied.ok and "lambda:GetAccountSettings" in denied.fix


def test_main_prints_the_table_and_exits_non_zero_on_any_failure(monkeypatch, capsys):
    stubs = Stubs().add("ssm", "get_parameter", _parameter("5"))
    monkeypatch.setattr(doctor, "CHECKS", (CHECKS["cdk_bootstrap"],))
    monkeypatch.setattr(doctor, "build_context", lambda name: stubs.context(name))
    assert doctor.main(["--env", "prod"]) == 1
    out = capsys.readouterr().out
    assert "cdk_bootstrap" in out and "FAIL" in out and "0 passed, 1 failed" in out
    stubs.add("ssm", "get_parameter", _parameter("27"))
    assert doctor.main(["--env", "prod"]) == 0


def test_the_readme_section_is_generated_from_the_checks():
    readme = (ROOT / "README.md").read_text()
    assert doctor.readme_section() in readme, "stale: run `python scripts/doctor.py --write-readme`"
    for check in doctor.CHECKS:
        assert check.before_first_deploy in readme


@pytest.mark.parametrize("target", ["deploy", "doctor"])
def test_make_deploy_runs_the_doctor_unless_skipped(target):
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/doctor.py --env" in recipe
    if target == "deploy":
        assert "SKIP_DOCTOR" in recipe and recipe.index("doctor.py") < recipe.index("$(CDK) deploy")
