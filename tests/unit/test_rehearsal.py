"""The offline deploy rehearsal: it stays on loopback, strips real credentials, always stops its emulator
(on success, on a failing deploy, on SIGTERM), classifies what the emulator really created, and its
emulator fixes and template overrides do what they say."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.infra.synth import ROOT


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = sys.modules.setdefault(name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


sys.path.insert(0, str(ROOT / "scripts"))
rehearse = _load("rehearse")
emulator_fixes = _load("rehearsal_emulator")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0); it has exited, only its parent has not reaped it.
    status = Path(f"/proc/{pid}/status")
    return status.is_file() and "\nState:\tZ" in status.read_text()


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return all(_gone(int(p.name)) for p in Path("/proc").iterdir()
               if p.name.isdigit() and _pgid(int(p.name)) == pgid)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


# --------------------------------------------------------------------------- safety


@pytest.mark.parametrize("url", ["http://localhost:4566", "http://127.0.0.1:5000", "http://[::1]:5000", "http://127.0.0.2"])
def test_loopback_endpoints_are_accepted(url):
    rehearse.assert_loopback(url)


@pytest.mark.parametrize("url", ["http://203.0.113.10:5000", "http://10.0.0.8:4566", "http://[2001:db8::1]:80",
                                 "http://192.168.1.20"])
def test_any_other_endpoint_is_refused_before_anything_starts(url):
    with pytest.raises(rehearse.RehearsalError, match="non-loopback"):
        rehearse.assert_loopback(url)


def test_the_child_environment_has_dummy_credentials_and_nothing_that_reaches_a_real_account(tmp_path):
    base = {
        "PATH": "/usr/bin", "HOME": "/root", "AWS_PROFILE": "prod-admin", "AWS_ACCESS_KEY_ID": "AKIAREALKEY",
        "AWS_SECRET_ACCESS_KEY": "real", "AWS_SESSION_TOKEN": "real", "AWS_ROLE_ARN": "arn:aws:iam::1:role/x",
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token", "AWS_CONFIG_FILE": "/root/.aws/config",
        "AWS_ENDPOINT_URL_S3": "https://s3.example.com", "HTTPS_PROXY": "http://proxy.corp:3128",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x",
    }
    env = rehearse.rehearsal_environment(base, endpoint="http://localhost:4566", region="eu-west-1", home=tmp_path)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL_S3",
                "HTTPS_PROXY", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        assert key not in env, key
    assert env["AWS_ACCESS_KEY_ID"] == "rehearsal" and env["AWS_SECRET_ACCESS_KEY"] == "rehearsal"
    assert env["AWS_ENDPOINT_URL"] == "http://localhost:4566"
    assert "localhost" in env["NO_PROXY"].split(",") and "127.0.0.1" in env["no_proxy"].split(",")
    assert Path(env["AWS_CONFIG_FILE"]).read_text() == "" and Path(env["AWS_SHARED_CREDENTIALS_FILE"]).read_text() == ""
    assert env["AWS_EC2_METADATA_DISABLED"] == "true" and env["CDK_DISABLE_VERSION_CHECK"] == "1"


# --------------------------------------------------------------------------- the emulator process


def test_the_emulator_listens_on_loopback_and_its_process_group_is_killed_even_when_the_body_fails(tmp_path):
    emulator = rehearse.Emulator(tmp_path / "emulator.log")
    with pytest.raises(RuntimeError, match="deploy failed"), emulator:
        assert emulator.endpoint.startswith("http://localhost:")
        import boto3

        sts = boto3.client("sts", endpoint_url=emulator.endpoint, region_name="eu-west-1",
                           aws_access_key_id="rehearsal", aws_secret_access_key="rehearsal")
        assert sts.get_caller_identity()["Account"] == rehearse.EMULATOR_ACCOUNT
        pid = emulator.process.pid
        assert os.getpgid(pid) == pid, "the emulator leads its own process group"
        raise RuntimeError("deploy failed")
    assert _group_gone(pid)


def test_a_cli_that_hangs_is_killed_with_its_process_group_at_the_phase_timeout(tmp_path):
    script = tmp_path / "hang"
    script.write_text(f"#!{sys.executable}\nimport os, time\nopen({str(tmp_path / 'pid')!r}, 'w').write(str(os.getpid()))\n"
                      "time.sleep(60)\n")
    script.chmod(0o755)
    started = time.monotonic()
    with pytest.raises(rehearse.RehearsalError, match="deploy: timed out"):
        rehearse.run_cli("deploy", ["deploy"], os.environ, cli=script, log_dir=tmp_path, timeout=1.5)
    assert time.monotonic() - started < 15
    assert _group_gone(int((tmp_path / "pid").read_text()))


FAKE_CDK = textwrap.dedent('''\
    #!{python}
    """A stand-in for the CDK CLI: synth writes a one-stack assembly, bootstrap succeeds, deploy {deploy}."""
    import json, os, sys, time
    from pathlib import Path
    command = sys.argv[1]
    if command == "synth":
        out = Path(sys.argv[sys.argv.index("-o") + 1]) / "assembly-dev"
        out.mkdir(parents=True)
        (out / "genai-dev-x.template.json").write_text(json.dumps({{"Resources": {{}}}}))
        (out / "manifest.json").write_text(json.dumps({{"artifacts": {{"x": {{
            "type": "aws:cloudformation:stack", "displayName": "dev/X",
            "properties": {{"templateFile": "genai-dev-x.template.json", "stackName": "genai-dev-x"}}}}}}}}))
    elif command == "deploy":
        Path({pid_file!r}).write_text(str(os.getpid()))
        {deploy_code}
    ''')


def _fake_cdk(tmp_path: Path, deploy: str, deploy_code: str) -> Path:
    script = tmp_path / "fake-cdk"
    script.write_text(FAKE_CDK.format(python=sys.executable, deploy=deploy, deploy_code=deploy_code,
                                      pid_file=str(tmp_path / "deploy.pid")))
    script.chmod(0o755)
    return script


def _rehearse_process(tmp_path: Path, cli: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "rehearse.py"), "--no-isolation", "--work-dir", str(tmp_path / "work"),
         "--cdk", str(cli)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _emulator_pid(stdout: str) -> int:
    match = re.search(r"emulator on http://localhost:\d+ \(pid (\d+)\)", stdout)
    assert match, stdout
    return int(match.group(1))


def test_a_failing_deploy_fails_the_rehearsal_and_still_stops_the_emulator(tmp_path):
    cli = _fake_cdk(tmp_path, "fails", 'print("AccessDenied: deliberately failing deploy"); sys.exit(1)')
    process = _rehearse_process(tmp_path, cli)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, stdout + stderr
    assert "deploy: `cdk deploy` exited with 1" in stderr and "deliberately failing deploy" in stderr
    assert stdout.strip().splitlines()[-1] == "rehearse: 2 passed, 1 failed"  # synthesized, bootstrapped; deploy
    assert _group_gone(_emulator_pid(stdout))


def test_sigterm_during_a_deploy_stops_the_cli_and_the_emulator(tmp_path):
    cli = _fake_cdk(tmp_path, "hangs", "time.sleep(120)")
    process = _rehearse_process(tmp_path, cli)
    deadline = time.monotonic() + 90
    while not (tmp_path / "deploy.pid").is_file():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the fake deploy never started"
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode != 0
    assert _group_gone(_emulator_pid(stdout))
    assert _group_gone(int((tmp_path / "deploy.pid").read_text()))


# --------------------------------------------------------------------------- what the emulator did


def _stack(name: str, resources: dict[str, str]) -> rehearse.StackTemplate:
    return rehearse.StackTemplate(name, {"Resources": {lid: {"Type": t} for lid, t in resources.items()}})


def test_resources_are_created_only_if_the_emulator_reports_them_and_custom_resources_never_are():
    stacks = [_stack("a", {"Key": "AWS::KMS::Key", "Trail": "AWS::CloudTrail::Trail", "Clean": "Custom::S3AutoDeleteObjects"}),
              _stack("b", {"Key2": "AWS::KMS::Key"})]
    tally = rehearse.tally(stacks, {"a": {"Key", "Clean"}, "b": {"Key2"}})
    assert tally.created == {"AWS::KMS::Key": 2}
    assert tally.skipped == {"AWS::CloudTrail::Trail": 1, "Custom::S3AutoDeleteObjects": 1}
    rows = {row[0]: row[3] for row in tally.rows()}
    assert rows == {"AWS::CloudTrail::Trail": "not implemented by moto", "AWS::KMS::Key": "",
                    "Custom::S3AutoDeleteObjects": "custom resource: handler not run"}


def test_a_redeploy_is_a_no_op_only_if_every_stack_says_no_changes():
    output = "✅  dev/Alerting (genai-dev-alerting) (no changes)\n✅  dev/Api (genai-dev-api)\n"
    assert rehearse.unchanged_stacks(output, ["genai-dev-alerting", "genai-dev-api"]) == ["genai-dev-alerting"]


def test_every_file_asset_destination_is_expected_in_the_staging_bucket(tmp_path):
    (tmp_path / "a.assets.json").write_text(json.dumps({"files": {
        "h1": {"destinations": {"d": {"bucketName": "b", "objectKey": "h1.zip"}}},
        "h2": {"destinations": {"d": {"bucketName": "b", "objectKey": "h2.json"}}}}}))
    (tmp_path / "b.assets.json").write_text(json.dumps({"files": {
        "h1": {"destinations": {"d": {"bucketName": "b", "objectKey": "h1.zip"}}}}}))
    assert rehearse.expected_asset_keys(tmp_path) == {"h1.zip", "h2.json"}


# --------------------------------------------------------------------------- emulator fixes


@pytest.mark.filterwarnings("ignore::UserWarning:moto.cloudformation.parsing")
def test_the_emulator_fixes_let_a_cdk_style_stack_pair_deploy_resolve_and_delete():
    """Tagged KMS key, a skipped type read by GetAtt and Ref and output, a custom resource, a managed policy on a role,
    and a consumer stack reading an output through Fn::GetStackOutput."""
    import boto3
    from moto import mock_aws

    emulator_fixes.apply_patches()
    producer = {"Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {
            "KeyPolicy": {"Version": "2012-10-17", "Statement": []}, "Tags": [{"Key": "project", "Value": "genai"}]}},
        "Guardrail": {"Type": "AWS::Bedrock::Guardrail", "Properties": {"Name": "g"}},
        "Cleanup": {"Type": "Custom::S3AutoDeleteObjects", "Properties": {"ServiceToken": "arn:aws:lambda:x"}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
        "Policy": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "bedrock:ApplyGuardrail",
                                                    "Resource": {"Fn::GetAtt": ["Guardrail", "GuardrailArn"]}}]}}},
    }, "Outputs": {"GuardrailArn": {"Value": {"Fn::GetAtt": ["Guardrail", "GuardrailArn"]}},
                   "GuardrailRef": {"Value": {"Ref": "Guardrail"}},
                   "KeyArn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}}}}
    consumer = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": {
        "Fn::GetStackOutput": {"StackName": "producer", "OutputName": "KeyArn", "Region": "eu-west-1"}}}}},
        "Outputs": {"Guardrail": {"Value": {"Fn::GetStackOutput": {"StackName": "producer", "OutputName": "GuardrailArn"}}},
                    "GuardrailRef": {"Value": {"Fn::GetStackOutput": {"StackName": "producer",
                                                                      "OutputName": "GuardrailRef"}}}}}
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
        cloudformation.create_stack(StackName="producer", TemplateBody=json.dumps(producer), Capabilities=["CAPABILITY_IAM"])
        cloudformation.create_stack(StackName="consumer", TemplateBody=json.dumps(consumer))
        (stack,) = cloudformation.describe_stacks(StackName="consumer")["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        assert outputs == {"Guardrail": "arn:aws:rehearsal:::skipped/Guardrail/GuardrailArn",
                           "GuardrailRef": "arn:aws:rehearsal:::skipped/Guardrail/Ref"}
        key_arn = next(o["OutputValue"] for o in cloudformation.describe_stacks(StackName="producer")["Stacks"][0]["Outputs"]
                       if o["OutputKey"] == "KeyArn")
        key_id = key_arn.rsplit("/", 1)[1]
        assert boto3.client("kms", region_name="eu-west-1").list_resource_tags(KeyId=key_id)["Tags"] == [
            {"TagKey": "project", "TagValue": "genai"}]
        for name in ("consumer", "producer"):
            cloudformation.delete_stack(StackName=name)
        iam = boto3.client("iam")
        assert iam.list_roles()["Roles"] == [] and iam.list_policies(Scope="Local")["Policies"] == []


def test_a_tagged_ssm_parameter_without_a_name_deploys_under_a_generated_one_and_is_deleted_with_its_stack():
    import boto3
    from moto import mock_aws

    emulator_fixes.apply_patches()
    template = {"Resources": {"Settings": {"Type": "AWS::SSM::Parameter", "Properties": {
        "Type": "String", "Value": '{"MODELS":"[]"}', "Tier": "Standard", "Tags": {"project": "genai"}}}},
        "Outputs": {"Name": {"Value": {"Ref": "Settings"}}}}
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
        cloudformation.create_stack(StackName="settings", TemplateBody=json.dumps(template))
        (stack,) = cloudformation.describe_stacks(StackName="settings")["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        name = stack["Outputs"][0]["OutputValue"]
        ssm = boto3.client("ssm", region_name="eu-west-1")
        assert "Settings" in name and ssm.get_parameter(Name=name)["Parameter"]["Value"] == '{"MODELS":"[]"}'
        assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == [
            {"Key": "project", "Value": "genai"}]
        cloudformation.delete_stack(StackName="settings")
        assert ssm.describe_parameters()["Parameters"] == []


def test_every_emulator_fix_is_listed_with_its_reason():
    assert set(emulator_fixes.PATCHES) == {"kms-cfn-tags", "outputs-of-skipped-types", "getatt-of-skipped-types",
                                           "ref-of-skipped-types",
                                           "custom-resources-not-invoked", "fn-getstackoutput", "iam-managed-policy-delete",
                                           "lambda-alias-and-version-cfn", "ssm-parameter-cfn"}
    assert all(len(reason) > 60 for reason in emulator_fixes.PATCHES.values())


# --------------------------------------------------------------------------- rehearsal-only template overrides


def test_instance_types_the_emulator_rejects_are_replaced_and_marked_only_in_the_rehearsal_app():
    from aws_cdk import App, Aspects, Stack
    from aws_cdk import aws_sagemaker as sagemaker

    from cdk.rehearsal import (
        EMULATOR_INSTANCE_TYPE,
        REHEARSAL_OVERRIDE_METADATA,
        EmulatorInstanceTypes,
        emulator_accepts_instance_type,
    )

    assert not emulator_accepts_instance_type("ml.inf2.xlarge")
    assert emulator_accepts_instance_type("ml.m5.large")
    app = App()
    stack = Stack(app, "Endpoints")
    for construct_id, instance_type in (("Inferentia", "ml.inf2.xlarge"), ("Cpu", "ml.m5.xlarge")):
        sagemaker.CfnEndpointConfig(stack, construct_id, production_variants=[
            sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name="main", model_name="m", initial_instance_count=1, instance_type=instance_type)])
    Aspects.of(stack).add(EmulatorInstanceTypes())
    template = app.synth().get_stack_by_name("Endpoints").template
    configs = [r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::EndpointConfig"]
    (inferentia,) = [r for r in configs if REHEARSAL_OVERRIDE_METADATA in (r.get("Metadata") or {})]
    (cpu,) = [r for r in configs if r is not inferentia]
    assert inferentia["Properties"]["ProductionVariants"][0]["InstanceType"] == EMULATOR_INSTANCE_TYPE
    assert "ml.inf2.xlarge" in inferentia["Metadata"][REHEARSAL_OVERRIDE_METADATA]
    assert cpu["Properties"]["ProductionVariants"][0]["InstanceType"] == "ml.m5.xlarge"
    assert REHEARSAL_OVERRIDE_METADATA not in (cpu.get("Metadata") or {})


def test_the_real_app_entry_point_never_imports_the_rehearsal_app():
    for path in (ROOT / "app.py", ROOT / "cdk" / "main.py"):
        assert "rehearsal" not in path.read_text(), path
