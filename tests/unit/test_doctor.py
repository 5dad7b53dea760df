"""`make doctor`: every check's pass and fail, offline against botocore's Stubber; the README section is current."""

from __future__ import annotations

import importlib.util
import sys

import boto3
import pytest
from botocore.stub import Stubber

from cdk.config import load_app_config
from tests.infra.synth import ROOT, cdk_context

_spec = importlib.util.spec_from_file_location("doctor", ROOT / "scripts" / "doctor.py")
doctor = sys.modules.setdefault("doctor", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(doctor)

CHECKS = {check.id: check for check in doctor.CHECKS}
ROLE = "arn:aws:iam::111122223333:role/genai-account-eu-west-1-ApiGatewayAccountRole"
ACCOUNT_STACK = "genai-account-eu-west-1"  # the shipped environments share eu-west-1: one account stack
INVOCATION_LOGS = f"/{ACCOUNT_STACK}/bedrock/model-invocations"


class Stubs:
    """One stubbed boto3 client per service; queue responses with ``add``/``error`` before running a check."""

    def __init__(self) -> None:
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                         region_name="eu-west-1")
        self.clients, self.stubbers = {}, {}
        for service in ("service-quotas", "lambda", "bedrock", "comprehend", "apigateway", "ssm", "cloudtrail",
                        "cloudformation", "sts", "s3"):
            self.clients[service] = session.client(service)
            self.stubbers[service] = Stubber(self.clients[service])
            self.stubbers[service].activate()

    def add(self, service: str, operation: str, response: dict) -> Stubs:
        self.stubbers[service].add_response(operation, response)
        return self

    def error(self, service: str, operation: str, code: str) -> Stubs:
        self.stubbers[service].add_client_error(operation, service_error_code=code, service_message=code)
        return self

    def context(self, env_name: str, context: dict | None = None, deploying: bool = False) -> doctor.Context:
        config = load_app_config(context or cdk_context())
        place = config.account_place(env_name)
        sharing = tuple(config.environment(name) for name in place.environments)
        return doctor.Context(env=config.environment(env_name), sharing=sharing, client=self.clients.__getitem__,
                              place=place, deploying_account_stack=deploying)

    def assert_done(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


def _run(check_id: str, stubs: Stubs, env: str = "prod", context: dict | None = None,
         deploying: bool = False) -> list[doctor.Outcome]:
    outcomes = [outcome for _, outcome in doctor.run_checks(stubs.context(env, context, deploying),
                                                            [CHECKS[check_id]])]
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
                           "account_singletons", "staged_weights"}


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


def _identity() -> dict:
    return {"Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/ops", "UserId": "AIDA0000000000000000"}


def test_staged_weights_need_the_compiled_model_under_the_configured_prefix():
    bucket, prefix = "genai-models-111122223333-eu-west-1", "zephyr-7b-beta/neuron-b4-s4096-c2-bf16/"
    listing = {"Contents": [{"Key": prefix + name} for name in ("config.json", "model.safetensors")]}
    (ok,) = _run("staged_weights", Stubs().add("sts", "get_caller_identity", _identity())
                 .add("s3", "list_objects_v2", listing))
    assert ok.ok and ok.item == f"s3://{bucket}/{prefix}"
    (missing,) = _run("staged_weights", Stubs().add("sts", "get_caller_identity", _identity())
                      .add("s3", "list_objects_v2", {"Contents": []}))
    assert not missing.ok and "neuron_staging --env prod" in missing.fix
    (none,) = _run("staged_weights", Stubs(), env="dev")  # dev serves no endpoint
    assert none.ok


def test_staged_weights_as_one_archive_must_exist():
    context = cdk_context()
    context["environments"]["prod"]["sagemaker"]["endpoint"]["model_data_url"] = "s3://models-{account}/m/model.tar.gz"
    found = Stubs().add("sts", "get_caller_identity", _identity()).add("s3", "head_object", {"ContentLength": 1})
    (ok,) = _run("staged_weights", found, context=context)
    assert ok.ok and ok.item == "s3://models-111122223333/m/model.tar.gz"
    absent = Stubs().add("sts", "get_caller_identity", _identity())
    absent.stubbers["s3"].add_client_error("head_object", service_error_code="404", http_status_code=404)
    (missing,) = _run("staged_weights", absent, context=context)
    assert not missing.ok and missing.detail == "archive not found"


def _external() -> dict:
    context = cdk_context()
    for env in context["environments"].values():
        env["account_singletons"] = "external"
    return context


def test_api_gateway_role_set_passes_unset_names_the_account_stack_command_whichever_environment():
    (ok,) = _run("api_gateway_role", Stubs().add("apigateway", "get_account", {"cloudwatchRoleArn": ROLE}), env="dev")
    assert ok.ok
    for env in ("dev", "prod"):  # no environment waits for another: each names its account stack
        (unset,) = _run("api_gateway_role", Stubs().add("apigateway", "get_account", {}), env=env)
        assert not unset.ok and f"make deploy-account ENV={env}" in unset.fix and ACCOUNT_STACK in unset.fix
    (deploying,) = _run("api_gateway_role", Stubs().add("apigateway", "get_account", {}), env="dev", deploying=True)
    assert deploying.ok and f"deploys {ACCOUNT_STACK} first" in deploying.detail
    (external,) = _run("api_gateway_role", Stubs().add("apigateway", "get_account", {}), env="dev",
                       context=_external(), deploying=True)
    assert not external.ok and "API Gateway console" in external.fix


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


def _singleton_stubs(status: str | None, group: str | None, *trails: str) -> Stubs:
    stubs = Stubs()
    if status is None:
        stubs.error("cloudformation", "describe_stacks", "ValidationError")
    else:
        stubs.add("cloudformation", "describe_stacks", {"Stacks": [{
            "StackName": ACCOUNT_STACK, "StackStatus": status, "CreationTime": "2026-01-01T00:00:00Z"}]})
    return (stubs.add("bedrock", "get_model_invocation_logging_configuration", _logging(group))
            .add("cloudtrail", "describe_trails", _trails(*trails)))


def test_singletons_pass_when_the_account_stack_holds_them():
    stubs = _singleton_stubs("UPDATE_COMPLETE", INVOCATION_LOGS, f"{ACCOUNT_STACK}-trail", "org-trail")
    assert all(o.ok for o in _run("account_singletons", stubs, env="dev"))


def test_singletons_fail_on_a_left_over_environment_trail_or_a_foreign_logging_configuration():
    stubs = _singleton_stubs("CREATE_COMPLETE", "/genai/prod/bedrock/model-invocations",
                             f"{ACCOUNT_STACK}-trail", "genai-prod-trail")
    stack, logging, trail = _run("account_singletons", stubs)
    assert stack.ok
    assert not logging.ok and "another configuration" in logging.fix
    assert not trail.ok and "delete genai-prod-trail" in trail.fix


@pytest.mark.parametrize("status", [None, "ROLLBACK_COMPLETE", "CREATE_IN_PROGRESS"])
def test_singletons_before_the_account_stack_is_deployed_name_its_command_for_any_environment(status):
    stack, logging, _ = _run("account_singletons", _singleton_stubs(status, None), env="staging")
    assert not stack.ok and "make deploy-account ENV=staging" in stack.fix
    assert not logging.ok and "make deploy-account ENV=staging" in logging.fix
    # `make deploy` deploys the account stack right after the doctor: nothing to fix yet.
    assert all(o.ok for o in _run("account_singletons", _singleton_stubs(status, None), env="dev", deploying=True))


def test_singletons_managed_outside_the_app_need_their_configuration_and_no_app_trail():
    stubs = (Stubs().add("bedrock", "get_model_invocation_logging_configuration", _logging("/org/bedrock"))
             .add("cloudtrail", "describe_trails", _trails("org-trail")))
    assert all(o.ok for o in _run("account_singletons", stubs, context=_external()))
    stubs = (Stubs().add("bedrock", "get_model_invocation_logging_configuration", {})
             .add("cloudtrail", "describe_trails", _trails()))
    logging, _ = _run("account_singletons", stubs, context=_external(), deploying=True)
    assert not logging.ok and "external" in logging.fix


def test_the_account_stage_is_printed_offline_for_make_deploy(capsys):
    assert doctor.main(["--print-account-stage", "--env", "dev"]) == 0
    assert capsys.readouterr().out.strip() == "account-eu-west-1"
    assert doctor.account_stage("prod", _external()) == ""


def test_a_denied_call_fails_the_check_naming_the_read_only_permission():
    (denied,) = _run("lambda_concurrency", Stubs().error("lambda", "get_account_settings", "AccessDeniedException"))
    assert not denied.ok and "lambda:GetAccountSettings" in denied.fix


def test_main_prints_the_table_and_exits_non_zero_on_any_failure(monkeypatch, capsys):
    stubs = Stubs().add("ssm", "get_parameter", _parameter("5"))
    monkeypatch.setattr(doctor, "CHECKS", (CHECKS["cdk_bootstrap"],))
    monkeypatch.setattr(doctor, "build_context", lambda name, **_: stubs.context(name))
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
        assert "--with-account-stack" in recipe


def test_make_deploy_deploys_the_account_stack_of_the_environment_first():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ndeploy:", 1)[1].split("\n\n", 1)[0]
    assert recipe.index("$(deploy_account_stack)") < recipe.index("$(CDK) deploy")
    define = makefile.split("define deploy_account_stack", 1)[1].split("endef", 1)[0]
    assert "--print-account-stage --env '$(ENV)'" in define and '"$$stage/*"' in define
    account_recipe = makefile.split("\ndeploy-account:", 1)[1].split("\n\n", 1)[0]
    assert "preflight.py deploy" in account_recipe and "$(deploy_account_stack)" in account_recipe
