"""The Bedrock stack: guardrail filters and PII actions, guardrail-enforced least-privilege invoke grants,
managed prompts matching the catalog, tagged application inference profiles, versions that follow the
configuration, and an invocation-logging custom resource that can touch nothing else."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from cdk.config import ConfigError, load_app_config
from cdk.config.guardrail import CONTENT_FILTER_TYPES
from tests.infra.synth import ROOT, cdk_context, flat

PROMPT_CATALOG = ROOT / "lambdas" / "orchestrator" / "prompt_catalog.json"
INVOKE = {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}
ACCOUNT = "111122223333"


# --------------------------------------------------------------------------- helpers


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def statements(resources: dict[str, Any]):
    """Every IAM statement of the template's identity policies, as (logical id, statement)."""
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in props["PolicyDocument"]["Statement"]:
                yield logical_id, flat(statement)
        elif resource["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield logical_id, flat(statement)


def config_of(environment: str):
    return load_app_config(cdk_context()).environment(environment)


@pytest.fixture(scope="module")
def catalog():
    from cdk.config.prompt_catalog import load_prompt_catalog

    return load_prompt_catalog(PROMPT_CATALOG)


def bedrock_stacks(synthesized):
    stacks = [s for s in synthesized.stacks if s.construct_id == "Bedrock"]
    assert {s.environment for s in stacks} == set(cdk_context()["environments"])
    return stacks


def bare_stack(region: str = "eu-west-1"):
    import aws_cdk as cdk

    app = cdk.App(context={"@aws-cdk/core:enablePartitionLiterals": True})
    return cdk.Stack(app, "Test", env=cdk.Environment(account=ACCOUNT, region=region))


def template_of(stack) -> dict[str, Any]:
    from aws_cdk.assertions import Template

    return Template.from_stack(stack).to_json()


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


# --------------------------------------------------------------------------- guardrail


def test_guardrail_has_the_six_filters_at_configured_strengths(synthesized):
    for stack in bedrock_stacks(synthesized):
        (guardrail,) = stack.resources_of_type("AWS::Bedrock::Guardrail").values()
        filters = guardrail["Properties"]["ContentPolicyConfig"]["FiltersConfig"]
        assert sorted(f["Type"] for f in filters) == sorted(CONTENT_FILTER_TYPES)
        expected = {f.type: f for f in config_of(stack.environment).bedrock.guardrail.content_filters}
        for f in filters:
            assert (f["InputStrength"], f["OutputStrength"]) == (
                expected[f["Type"]].input_strength, expected[f["Type"]].output_strength), f
            assert f["InputEnabled"] and f["InputAction"] == "BLOCK"
        prompt_attack = next(f for f in filters if f["Type"] == "PROMPT_ATTACK")
        assert prompt_attack["OutputStrength"] == "NONE" and prompt_attack["InputStrength"] != "NONE"


def test_dev_overrides_insults_and_prod_keeps_the_strict_defaults(synthesized):
    def strengths(environment):
        (guardrail,) = synthesized.stack(environment, "Bedrock").resources_of_type("AWS::Bedrock::Guardrail").values()
        return {f["Type"]: f["InputStrength"] for f in guardrail["Properties"]["ContentPolicyConfig"]["FiltersConfig"]}

    assert strengths("dev")["INSULTS"] == "MEDIUM"
    assert set(strengths("prod").values()) == {"HIGH"}


def test_guardrail_pii_actions_match_the_config_on_input_and_output(synthesized):
    for stack in bedrock_stacks(synthesized):
        (guardrail,) = stack.resources_of_type("AWS::Bedrock::Guardrail").values()
        entities = guardrail["Properties"]["SensitiveInformationPolicyConfig"]["PiiEntitiesConfig"]
        actual = {e["Type"]: (e["Action"], e["InputAction"], e["OutputAction"]) for e in entities}
        expected = config_of(stack.environment).bedrock.guardrail.pii_entities
        assert actual == {entity: (action,) * 3 for entity, action in expected.items()}
        for secret in ("AWS_ACCESS_KEY", "AWS_SECRET_KEY", "PASSWORD"):
            assert actual[secret] == ("BLOCK",) * 3
        assert actual["EMAIL"] == ("ANONYMIZE",) * 3  # masked and served, not turned into a block


def test_guardrail_regexes_topics_words_messages_and_key(synthesized):
    for stack in bedrock_stacks(synthesized):
        (guardrail,) = stack.resources_of_type("AWS::Bedrock::Guardrail").values()
        props = guardrail["Properties"]
        config = config_of(stack.environment).bedrock.guardrail
        regexes = props["SensitiveInformationPolicyConfig"]["RegexesConfig"]
        assert [(r["Name"], r["Pattern"], r["InputAction"]) for r in regexes] == [
            (r.name, r.pattern, r.action) for r in config.regexes]
        assert [t["Name"] for t in props["TopicPolicyConfig"]["TopicsConfig"]] == [t.name for t in config.denied_topics]
        managed = props["WordPolicyConfig"]["ManagedWordListsConfig"]
        assert [m["Type"] for m in managed] == ["PROFANITY"]
        assert props["BlockedInputMessaging"] == config.blocked_input_message
        assert props["BlockedOutputsMessaging"] == config.blocked_output_message
        key_id = props["KmsKeyArn"]["Fn::GetAtt"][0]
        assert stack.resources[key_id]["Type"] == "AWS::KMS::Key"
        assert stack.resources[key_id]["Properties"]["EnableKeyRotation"] is True
        assert props["Name"] == f"genai-{stack.environment}-guardrail"


def test_a_pinned_guardrail_version_follows_the_guardrail(synthesized):
    for stack in bedrock_stacks(synthesized):
        (guardrail_id,) = stack.resources_of_type("AWS::Bedrock::Guardrail")
        (version,) = stack.resources_of_type("AWS::Bedrock::GuardrailVersion").values()
        assert version["Properties"]["GuardrailIdentifier"] == {"Fn::GetAtt": [guardrail_id, "GuardrailId"]}
        assert "sha256:" in version["Properties"]["Description"]


def _guardrail_policy(**changes):
    from cdk.components.bedrock_guardrail import ContentFilterSpec, GuardrailPolicy

    filters = {t: ContentFilterSpec(t, "HIGH", "NONE" if t == "PROMPT_ATTACK" else "HIGH") for t in CONTENT_FILTER_TYPES}
    filters.update(changes.pop("filters", {}))
    args = {"content_filters": list(filters.values()),
            "pii_entities": {"EMAIL": "ANONYMIZE", "PASSWORD": "BLOCK"},
            "blocked_input_message": "no", "blocked_output_message": "no"}
    args.update(changes)
    return GuardrailPolicy(**args)


def _version_description(policy, name="app-dev") -> str:
    from cdk.components.bedrock_guardrail import EnforcedGuardrail

    stack = bare_stack()
    EnforcedGuardrail(stack, "Guardrail", name=name, policy=policy)
    (version,) = of_type(template_of(stack), "AWS::Bedrock::GuardrailVersion").values()
    return version["Properties"]["Description"]


def test_guardrail_version_is_cut_again_when_the_guardrail_config_changes():
    from cdk.components.bedrock_guardrail import ContentFilterSpec

    baseline = _version_description(_guardrail_policy())
    assert baseline == _version_description(_guardrail_policy()), "same config, same version"
    assert baseline == _version_description(
        _guardrail_policy(pii_entities={"PASSWORD": "BLOCK", "EMAIL": "ANONYMIZE"})), "entity order is irrelevant"
    changed = [
        _guardrail_policy(filters={"HATE": ContentFilterSpec("HATE", "MEDIUM", "HIGH")}),
        _guardrail_policy(pii_entities={"EMAIL": "BLOCK", "PASSWORD": "BLOCK"}),
        _guardrail_policy(words=["forbidden"]),
        _guardrail_policy(blocked_input_message="No, gracias."),
    ]
    descriptions = {_version_description(policy) for policy in changed}
    assert baseline not in descriptions and len(descriptions) == len(changed)
    # GuardrailVersion.Description is create-only, so a new description makes CloudFormation create a new
    # version (and delete the old one after the update), which is what callers then pin.


def test_guardrail_construct_refuses_a_missing_filter():
    from cdk.components.bedrock_guardrail import EnforcedGuardrail, GuardrailPolicy

    policy = _guardrail_policy()
    without = GuardrailPolicy(**{**policy.__dict__, "content_filters": [
        f for f in policy.content_filters if f.type != "PROMPT_ATTACK"]})
    with pytest.raises(ValueError, match="exactly one filter of each type"):
        EnforcedGuardrail(bare_stack(), "Guardrail", name="x", policy=without)


def test_guardrail_construct_refuses_prompt_attack_on_output():
    from cdk.components.bedrock_guardrail import ContentFilterSpec, EnforcedGuardrail

    policy = _guardrail_policy(filters={"PROMPT_ATTACK": ContentFilterSpec("PROMPT_ATTACK", "HIGH", "LOW")})
    with pytest.raises(ValueError, match="output strength must be NONE"):
        EnforcedGuardrail(bare_stack(), "Guardrail", name="x", policy=policy)


# --------------------------------------------------------------------------- model access (IAM)


def _model_access_template():
    from aws_cdk import aws_iam as iam

    from cdk.components.bedrock_guardrail import EnforcedGuardrail
    from cdk.components.bedrock_model_access import ModelAccess, ModelRoute

    stack = bare_stack()
    guardrail = EnforcedGuardrail(stack, "Guardrail", name="app-dev", policy=_guardrail_policy())
    routes = [
        ModelRoute("amazon.nova-micro-v1:0", "amazon.nova-micro-v1:0"),
        ModelRoute("eu.amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0", "geo", ("eu-central-1", "eu-west-1", "eu-west-3")),
        ModelRoute("global.anthropic.claude-haiku-4-5-20251001-v1:0", "anthropic.claude-haiku-4-5-20251001-v1:0", "global"),
    ]
    profile_arn = f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:application-inference-profile/abcdef123456"
    access = ModelAccess(stack, "Access", routes=routes, application_profile_arns=[profile_arn],
                         guardrail_arn=guardrail.guardrail_arn, guardrail_versioned_arn=guardrail.versioned_arn,
                         guardrail_key=guardrail.key)
    role = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    access.grant_invoke(role)
    return template_of(stack), profile_arn


def test_invoke_grant_names_exact_arns_and_enforces_the_guardrail_with_allow_and_deny():
    template, profile_arn = _model_access_template()
    found = [s for _, s in statements(template["Resources"])]
    invoke = [s for s in found if INVOKE & set(as_list(s["Action"]))]
    allow = [s for s in invoke if s["Effect"] == "Allow"]
    deny = [s for s in invoke if s["Effect"] == "Deny"]
    assert len(allow) == 1 and len(deny) == 1
    (guardrail_id,) = of_type(template, "AWS::Bedrock::Guardrail")
    (version_id,) = of_type(template, "AWS::Bedrock::GuardrailVersion")
    versioned = f"${{{guardrail_id}.GuardrailArn}}:${{{version_id}.Version}}"
    assert allow[0]["Condition"] == {"StringEquals": {"bedrock:GuardrailIdentifier": versioned}}
    assert deny[0]["Condition"] == {"StringNotEquals": {"bedrock:GuardrailIdentifier": versioned}}
    assert set(as_list(allow[0]["Action"])) == set(as_list(deny[0]["Action"])) == INVOKE
    expected = {
        profile_arn,
        "arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-micro-v1:0",
        f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/eu.amazon.nova-lite-v1:0",
        "arn:aws:bedrock:eu-central-1::foundation-model/amazon.nova-lite-v1:0",
        "arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-lite-v1:0",
        "arn:aws:bedrock:eu-west-3::foundation-model/amazon.nova-lite-v1:0",
        f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/global.anthropic.claude-haiku-4-5-20251001-v1:0",
        "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
        "arn:aws:bedrock:::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
    }
    assert set(as_list(allow[0]["Resource"])) == set(as_list(deny[0]["Resource"])) == expected
    apply = [s for s in found if "bedrock:ApplyGuardrail" in as_list(s["Action"])]
    assert [as_list(s["Resource"]) for s in apply] == [[f"${{{guardrail_id}.GuardrailArn}}"]]
    decrypt = [s for s in found if "kms:Decrypt" in as_list(s["Action"])]
    assert len(decrypt) == 1 and all(r.endswith(".Arn}") for r in as_list(decrypt[0]["Resource"]))
    for statement in found:
        assert "*" not in as_list(statement["Resource"]), statement
        assert not any(a.endswith("*") for a in as_list(statement["Action"]) if a.startswith("bedrock:")), statement


def test_every_bedrock_statement_of_the_app_names_specific_arns_and_invoke_needs_the_guardrail(synthesized):
    """Whoever calls ``grant_invoke`` in the app (the orchestration function) gets guarded statements only."""
    from cdk.components.bedrock_invocation_logging import LOGGING_ACTIONS

    seen_invoke = 0
    for stack in synthesized.stacks:
        by_policy: dict[str, list[dict]] = {}
        for logical_id, statement in statements(stack.resources):
            by_policy.setdefault(logical_id, []).append(statement)
            actions = set(as_list(statement["Action"]))
            bedrock_actions = {a for a in actions if a.startswith("bedrock:")}
            if not bedrock_actions:
                continue
            if bedrock_actions <= set(LOGGING_ACTIONS):  # account-level setting: no resource-level ARNs exist
                assert actions == set(LOGGING_ACTIONS) and as_list(statement["Resource"]) == ["*"], statement
                continue
            assert "*" not in as_list(statement["Resource"]), (stack.stack_name, statement)
            assert not any(a in ("bedrock:*", "*") for a in actions), statement
        for logical_id, policy in by_policy.items():
            allows = [s for s in policy if s["Effect"] == "Allow" and INVOKE & set(as_list(s["Action"]))
                      and not _embeds_only(s) and not _judges_only(logical_id)]
            for allow in allows:
                seen_invoke += 1
                key = allow["Condition"]["StringEquals"]["bedrock:GuardrailIdentifier"]
                assert any(s["Effect"] == "Deny"
                           and s.get("Condition") == {"StringNotEquals": {"bedrock:GuardrailIdentifier": key}}
                           and set(as_list(s["Resource"])) >= set(as_list(allow["Resource"]))
                           for s in policy), (stack.stack_name, logical_id)
    if not seen_invoke:
        pytest.skip("no stack of the app calls grant_invoke yet (the orchestration stack does)")


def _embeds_only(statement: dict) -> bool:
    """A knowledge base's service role invoking only its embedding model: embeddings take no guardrail
    (tests/infra/test_knowledge.py checks that no other principal may invoke it)."""
    from cdk.components.knowledge_base.props import EMBEDDING_MODELS

    resources = [str(flat(r)) for r in as_list(statement["Resource"])]
    return bool(resources) and all(any(r.endswith(f":foundation-model/{model}") for model in EMBEDDING_MODELS)
                                   for r in resources)


def _judges_only(policy_logical_id: str) -> bool:
    """The evaluation pipeline's judge policy: Bedrock evaluation jobs of this account invoke the judge model over
    responses the API already screened; a guardrail does not apply to a judge job (the judge role's trust and
    resources are tested in tests/unit/evaluation/test_state_machine.py)."""
    return policy_logical_id.startswith("EvaluationJudgePolicy")


# --------------------------------------------------------------------------- application inference profiles


def test_one_tagged_application_inference_profile_per_allowed_model(synthesized):
    for stack in bedrock_stacks(synthesized):
        config = config_of(stack.environment)
        profiles = [flat(r["Properties"]) for r in stack.resources_of_type(
            "AWS::Bedrock::ApplicationInferenceProfile").values()]
        by_model = {}
        for profile in profiles:
            tags = {t["Key"]: t["Value"] for t in profile["Tags"]}
            assert tags["environment"] == stack.environment and tags["project"] == "genai", tags
            by_model[tags["bedrock-model"]] = profile
            assert profile["InferenceProfileName"].startswith(f"genai-{stack.environment}-")
        assert set(by_model) == {m.id for m in config.bedrock.models}
        for model in config.bedrock.models:
            source = by_model[model.id]["ModelSource"]["CopyFrom"]
            kind = "foundation-model" if model.routing == "in_region" else "inference-profile"
            assert source.endswith(f":{kind}/{model.id}"), source
        assert len({p["InferenceProfileName"] for p in profiles}) == len(profiles)


def test_profile_names_fit_the_api_limits():
    from cdk.components.bedrock_inference_profiles import profile_name

    assert profile_name("genai-dev", "eu.amazon.nova-lite-v1:0") == "genai-dev-eu-amazon-nova-lite-v1-0"
    long = profile_name("a" * 20 + "-" + "b" * 20, "global.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert len(long) <= 64 and long.startswith("aaaa")


# --------------------------------------------------------------------------- managed prompts


def test_prompts_match_the_catalog_one_to_one(synthesized, catalog):
    from cdk.components.bedrock_prompts import inference_configuration

    for stack in bedrock_stacks(synthesized):
        config = config_of(stack.environment)
        prompts = {r["Properties"]["Name"]: (lid, r["Properties"])
                   for lid, r in stack.resources_of_type("AWS::Bedrock::Prompt").items()}
        assert set(prompts) == {f"genai-{stack.environment}-{u.id}" for u in catalog.use_cases}
        profile_ids = {flat(r["Properties"])["Tags"][0]["Value"]: lid for lid, r in
                       stack.resources_of_type("AWS::Bedrock::ApplicationInferenceProfile").items()}
        for use_case in catalog.use_cases:
            _, props = prompts[f"genai-{stack.environment}-{use_case.id}"]
            (variant,) = props["Variants"]
            chat = variant["TemplateConfiguration"]["Chat"]
            assert chat["Messages"] == [{"Role": "user", "Content": [{"Text": use_case.template}]}]
            assert chat["System"] == [{"Text": use_case.system}]
            assert [v["Name"] for v in chat["InputVariables"]] == list(use_case.variables)
            model = config.bedrock.model(config.bedrock.default_models[use_case.family])
            expected = inference_configuration(use_case, top_p_with_temperature=model.spec.top_p_with_temperature)
            text = variant["InferenceConfiguration"]["Text"]
            assert text["MaxTokens"] == expected["max_tokens"]
            assert text["Temperature"] == expected["temperature"]
            assert text.get("TopP") == expected.get("top_p")
            assert variant["ModelId"] == {"Fn::GetAtt": [profile_ids[model.id], "InferenceProfileArn"]}
            assert props["Description"] == use_case.description
        versions = [r["Properties"]["PromptArn"] for r in stack.resources_of_type("AWS::Bedrock::PromptVersion").values()]
        assert sorted(v["Fn::GetAtt"][0] for v in versions) == sorted(lid for lid, _ in prompts.values())


def _prompt_version_descriptions(tmp_path: Path, catalog_json: dict) -> dict[str, str]:
    import aws_cdk.aws_bedrock_alpha as bedrock

    from cdk.components.bedrock_prompts import ManagedPrompts, PromptModel
    from cdk.config.prompt_catalog import load_prompt_catalog

    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog_json))
    stack = bare_stack()
    model = PromptModel("amazon.nova-lite-v1:0", bedrock.BedrockFoundationModel("amazon.nova-lite-v1:0"))
    ManagedPrompts(stack, "Prompts", name_prefix="app-dev", catalog=load_prompt_catalog(path),
                   models=dict.fromkeys(("text", "chat", "code", "vision"), model))
    return {r["Properties"]["Description"].split()[0]: r["Properties"]["Description"]
            for r in of_type(template_of(stack), "AWS::Bedrock::PromptVersion").values()}


def _mini_catalog(template="{{input}}\nSummary:", temperature=0.2):
    return {"schema_version": 1, "use_cases": [
        {"id": "summarize", "description": "Summarize.", "family": "text", "accepts_image": False,
         "system": "You summarize.", "instruction": "Summarize <input>.", "template": template,
         "default_parameters": {"max_new_tokens": 256, "temperature": temperature, "top_p": 0.9,
                                "sampling": "random", "stop_sequences": []}},
        {"id": "translate", "description": "Translate.", "family": "text", "accepts_image": False,
         "system": "You translate.", "instruction": "Translate <input>.", "template": "{{input}}",
         "default_parameters": {"max_new_tokens": 256, "temperature": 0.0, "top_p": 1.0,
                                "sampling": "greedy", "stop_sequences": []}}]}


def test_prompt_version_is_new_only_for_the_prompt_that_changed(tmp_path):
    before = _prompt_version_descriptions(tmp_path, _mini_catalog())
    assert before == _prompt_version_descriptions(tmp_path, _mini_catalog())
    for changed in (_mini_catalog(template="{{input}}\nShort summary:"), _mini_catalog(temperature=0.5)):
        after = _prompt_version_descriptions(tmp_path, changed)
        assert after["summarize"] != before["summarize"]
        assert after["translate"] == before["translate"]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [
    (lambda c: c["use_cases"][0].update(family="audio"), "catalog.json.use_cases[0].family", "allowed values: text"),
    (lambda c: c["use_cases"][0]["default_parameters"].update(temperature=1.5),
     "catalog.json.use_cases[0].default_parameters.temperature", "out of range"),
    (lambda c: c["use_cases"][0]["default_parameters"].update(stop_sequences=["a", "b", "c", "d", "e"]),
     "catalog.json.use_cases[0].default_parameters.stop_sequences", "expected 0 to 4 items"),
    (lambda c: c["use_cases"][0].update(id="sum marize"), "catalog.json.use_cases[0].id", "letters and digits"),
    (lambda c: c["use_cases"][0].update(template="{{in put}}"), "catalog.json.use_cases[0].template",
     "is not a valid name"),
    (lambda c: c["use_cases"][1].update(id="summarize"), "catalog.json.use_cases", "duplicate ids: summarize"),
    (lambda c: c["use_cases"][0].update(description="d" * 201), "catalog.json.use_cases[0].description",
     "1 to 200 characters"),
])
def test_prompt_catalog_loader_names_the_bad_entry(tmp_path, mutate, path, fragment):
    from cdk.config.prompt_catalog import load_prompt_catalog

    data = _mini_catalog()
    mutate(data)
    (tmp_path / "catalog.json").write_text(json.dumps(data))
    with pytest.raises(ConfigError) as error:
        load_prompt_catalog(tmp_path / "catalog.json")
    assert error.value.path == path, str(error.value)
    assert fragment in str(error.value)


# --------------------------------------------------------------------------- invocation logging


def _logging_resources(stack):
    return stack.resources_of_type("Custom::BedrockModelInvocationLogging")


def test_only_the_account_stack_configures_invocation_logging(synthesized):
    assert not [s.environment for s in bedrock_stacks(synthesized) if _logging_resources(s)]
    assert [len(_logging_resources(s)) for s in synthesized.account_stacks()] == [1]


def test_logging_custom_resource_puts_on_create_update_and_deletes_on_delete(synthesized):
    stack = synthesized.account_stack_of("prod")
    (resource,) = _logging_resources(stack).values()
    props = flat(resource["Properties"])
    create, update, delete = (json.loads(props[k]) for k in ("Create", "Update", "Delete"))
    assert create == update and create["action"] == "PutModelInvocationLoggingConfiguration"
    assert delete["action"] == "DeleteModelInvocationLoggingConfiguration"
    assert props["InstallLatestAwsSdk"] is False or props["InstallLatestAwsSdk"] == "false"
    config = create["parameters"]["loggingConfig"]
    assert config["cloudWatchConfig"]["logGroupName"].startswith("${")
    assert config["s3Config"]["bucketName"].startswith("${")
    import botocore.session

    shape = botocore.session.get_session().get_service_model("bedrock").shape_for("LoggingConfig")
    assert set(config) <= set(shape.members), "every key is a LoggingConfig member of the API"
    flags = {name for name, member in shape.members.items() if member.type_name == "boolean"}
    # Every data flag is explicit (one left out may default to on) and off: metadata only, no prompts.
    assert {flag: config.get(flag) for flag in flags} == dict.fromkeys(flags, False)


def test_logging_provider_role_can_only_touch_the_logging_configuration(synthesized):
    from cdk.components.bedrock_invocation_logging import LOGGING_ACTIONS

    stack = synthesized.account_stack_of("prod")
    (resource,) = _logging_resources(stack).values()
    function_id = resource["Properties"]["ServiceToken"]["Fn::GetAtt"][0]
    role_id = stack.resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    role_statements = [s for lid, s in statements(stack.resources)
                       if lid == role_id or role_id in json.dumps(stack.resources[lid]["Properties"].get("Roles", []))]
    delivery_role = next(lid for lid, r in stack.resources.items() if r["Type"] == "AWS::IAM::Role"
                         and r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
                         == {"Service": "bedrock.amazonaws.com"})
    log_group = stack.resources[function_id]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    summary = sorted((tuple(sorted(as_list(s["Action"]))), tuple(as_list(s["Resource"]))) for s in role_statements)
    assert summary == sorted([
        (tuple(sorted(LOGGING_ACTIONS)), ("*",)),
        (("iam:PassRole",), (f"${{{delivery_role}.Arn}}",)),
        (("logs:CreateLogStream", "logs:PutLogEvents"), (f"${{{log_group}.Arn}}",)),
    ])
    passrole = next(s for s in role_statements if s["Action"] == "iam:PassRole")
    assert passrole["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}
    assert not stack.resources[role_id]["Properties"].get("ManagedPolicyArns")  # no AWS-managed policy


def test_bedrock_writes_logs_through_a_scoped_role_into_an_encrypted_group_and_bucket(synthesized):
    stack = synthesized.account_stack_of("prod")
    source = {"StringEquals": {"aws:SourceAccount": "${AWS::AccountId}"},
              "ArnLike": {"aws:SourceArn": "arn:aws:bedrock:eu-west-1:${AWS::AccountId}:*"}}
    delivery_role = next(r for r in stack.resources.values() if r["Type"] == "AWS::IAM::Role"
                         and flat(r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0])["Principal"]
                         == {"Service": "bedrock.amazonaws.com"})
    assert flat(delivery_role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0])["Condition"] == source
    writes = [s for _, s in statements(stack.resources) if "logs:PutLogEvents" in as_list(s["Action"])
              and "log-stream:aws/bedrock/modelinvocations" in str(s["Resource"])]
    assert writes and all(r.endswith(":log-group:/genai-account-eu-west-1/bedrock/model-invocations:log-stream:aws/bedrock/"
                                      "modelinvocations") for w in writes for r in as_list(w["Resource"]))
    groups = stack.resources_of_type("AWS::Logs::LogGroup").values()
    assert all("KmsKeyId" in g["Properties"] and g["Properties"]["RetentionInDays"] for g in groups)
    (bucket_id, bucket) = next((lid, r) for lid, r in stack.resources_of_type("AWS::S3::Bucket").items()
                               if "LoggingConfiguration" in r["Properties"] and "InvocationLogging" in lid)
    props = bucket["Properties"]
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["SSEAlgorithm"] == "aws:kms" and "KMSMasterKeyID" in sse
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == \
        config_of("prod").bedrock.invocation_logging.bucket_expiration_days
    policy = next(flat(r["Properties"]["PolicyDocument"]) for r in stack.resources_of_type(
        "AWS::S3::BucketPolicy").values() if r["Properties"]["Bucket"] == {"Ref": bucket_id})
    tls = [s for s in policy["Statement"] if s["Effect"] == "Deny" and "aws:SecureTransport" in str(s)]
    assert tls, "SSL only"
    (write,) = [s for s in policy["Statement"] if s.get("Principal") == {"Service": "bedrock.amazonaws.com"}]
    assert write["Action"] == "s3:PutObject" and write["Condition"] == source
    assert all("/AWSLogs/${AWS::AccountId}/BedrockModelInvocationLogs/*" in r for r in as_list(write["Resource"]))


# --------------------------------------------------------------------------- what other stacks read


@pytest.fixture(scope="module")
def dev_stack():
    import aws_cdk as cdk

    from stacks.bedrock_stack import BedrockStack

    return BedrockStack(cdk.App(), "Bedrock", config=config_of("dev"),
                        env=cdk.Environment(account=ACCOUNT, region="eu-west-1"))


def test_model_descriptors_are_valid_orchestrator_models(dev_stack):
    sys.path.insert(0, str(ROOT / "lambdas" / "orchestrator"))
    settings = pytest.importorskip("orchestrator.model_spec")
    config = config_of("dev")
    assert [d["id"] for d in dev_stack.model_descriptors] == [m.id for m in config.bedrock.models]
    for index, descriptor in enumerate(dev_stack.model_descriptors):
        assert descriptor["backend"] == "bedrock"
        resolved = {**descriptor, "target": f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:application-inference-profile/x"}
        spec = settings.parse_model(json.loads(json.dumps(resolved)), f"MODELS[{index}]")
        assert spec.max_tokens > 0 and spec.price_in > 0
    haiku = next(d for d in dev_stack.model_descriptors if "claude-haiku-4-5" in d["id"])
    assert (haiku["image"], haiku["top_k"], haiku["top_p"], haiku["max_tokens"]) == (True, True, False, 64000)


def test_defaults_guardrail_and_metric_ids_are_exposed(dev_stack):
    import aws_cdk as cdk

    config = config_of("dev")
    assert dev_stack.default_models == dict(config.bedrock.default_models)
    assert set(dev_stack.default_models) == {"text", "chat", "code", "vision"}
    assert cdk.Token.is_unresolved(dev_stack.guardrail_version) and cdk.Token.is_unresolved(dev_stack.guardrail_id)
    assert dev_stack.metric_model_ids == [d["target"] for d in dev_stack.model_descriptors]
    assert dev_stack.prompt_catalog_path == PROMPT_CATALOG
    assert callable(dev_stack.model_access.grant_invoke) and callable(dev_stack.model_access.grant_apply_guardrail)


def test_a_declared_vpc_gets_a_private_bedrock_runtime_endpoint_fenced_to_the_allowed_models():
    import aws_cdk as cdk

    from stacks.bedrock_stack import BedrockStack

    context = cdk_context()
    context["environments"]["dev"]["network"] = {
        "vpc_id": "vpc-0123456789abcdef0", "vpc_cidr": "10.20.0.0/16",
        "availability_zones": ["eu-west-1a", "eu-west-1b"],
        "private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
        "private_subnet_route_table_ids": ["rtb-0123456789abcdef0", "rtb-0fedcba9876543210"],
    }
    config = load_app_config(context).environment("dev")
    stack = BedrockStack(cdk.App(), "Bedrock", config=config, env=cdk.Environment(account=ACCOUNT, region="eu-west-1"))
    template = template_of(stack)
    (endpoint,) = of_type(template, "AWS::EC2::VPCEndpoint").values()
    props = flat(endpoint["Properties"])
    assert props["ServiceName"] == "com.amazonaws.eu-west-1.bedrock-runtime"
    assert props["PrivateDnsEnabled"] is True and props["VpcEndpointType"] == "Interface"
    assert props["SubnetIds"] == ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    (statement,) = props["PolicyDocument"]["Statement"]
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}
    assert "*" not in as_list(statement["Resource"])
    (group,) = of_type(template, "AWS::EC2::SecurityGroup").values()
    assert [(r["CidrIp"], r["FromPort"]) for r in group["Properties"]["SecurityGroupIngress"]] == [("10.20.0.0/16", 443)]
