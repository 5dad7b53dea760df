"""``playground``: off by default, on in dev and staging, bounds with the key path, the site's CSP and config.json."""

from __future__ import annotations

import pytest

from cdk.components.playground_site.props import ApiSigning, IdentityExchange, SignIn, content_security_policy, runtime_config
from cdk.config import load_app_config
from cdk.config.fields import ConfigError, Section
from cdk.config.playground import parse_playground
from tests.infra.synth import cdk_context

PATH = "environments.dev.playground"
WEB_ACL = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/0123abcd-0123-4567-89ab-0123456789ab"


def _parse(raw: dict):
    return parse_playground(Section(raw, PATH))


def test_defaults_are_off_with_a_small_price_class_and_short_tokens() -> None:
    config = _parse({})
    assert not config.enabled and config.site.price_class == "PriceClass_100" and config.site.web_acl_arn is None
    assert config.domain_prefix is None and config.token_validity_minutes == 30 and config.session_hours == 8


def test_the_environments_in_cdk_json_enable_it_in_dev_and_staging_only() -> None:
    config = load_app_config(cdk_context())
    enabled = {name for name in ("dev", "staging", "prod") if config.environment(name).playground.enabled}
    assert enabled == {"dev", "staging"}


def test_a_cloudfront_web_acl_is_accepted_and_a_regional_one_refused_naming_the_key() -> None:
    assert _parse({"web_acl_arn": WEB_ACL}).site.web_acl_arn == WEB_ACL
    regional = WEB_ACL.replace("us-east-1", "eu-west-1").replace(":global/", ":regional/")
    with pytest.raises(ConfigError, match=rf"^{PATH}\.web_acl_arn: .*CLOUDFRONT-scope web ACL.*us-east-1"):
        _parse({"web_acl_arn": regional})


@pytest.mark.parametrize(("raw", "key", "message"), [
    ({"price_class": "PriceClass_50"}, "price_class", "PriceClass_100, PriceClass_200, PriceClass_All"),
    ({"api_read_timeout_seconds": 121}, "api_read_timeout_seconds", "[1, 120]"),
    ({"access_log_retention_days": 0}, "access_log_retention_days", "[1, 3653]"),
    ({"token_validity_minutes": 4}, "token_validity_minutes", "[5, 1440]"),
    ({"session_hours": 25}, "session_hours", "[1, 24]"),
    ({"token_validity_minutes": 120, "session_hours": 2}, "session_hours", "more than token_validity_minutes"),
    ({"domain_prefix": "-bad"}, "domain_prefix", "lowercase letters"),
    ({"domain_prefix": "my-cognito-login"}, "domain_prefix", "'cognito'"),
    ({"enabled": "yes"}, "enabled", "true or false"),
])
def test_bad_values_name_the_key_path_and_what_is_allowed(raw: dict, key: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        _parse(raw)
    assert str(error.value).startswith(f"{PATH}.{key}:") and message in str(error.value)


def test_an_unknown_key_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"playground\.price_clas: unknown key; did you mean 'price_class'"):
        _parse({"price_clas": "PriceClass_All"})


def test_the_csp_allows_only_the_site_itself_plus_the_sign_in_origins() -> None:
    # No data: or blob: images: the page shows none (an uploaded image is only read and sent, never displayed).
    csp = content_security_policy(connect_origins=["https://x.auth.eu-west-1.amazoncognito.com"],
                                  form_origins=["https://x.auth.eu-west-1.amazoncognito.com"])
    directives = dict(part.split(" ", 1) for part in csp.split("; "))
    assert directives == {
        "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self'",
        "connect-src": "'self' https://x.auth.eu-west-1.amazoncognito.com", "frame-ancestors": "'none'",
        "base-uri": "'none'", "form-action": "'self' https://x.auth.eu-west-1.amazoncognito.com",
        "object-src": "'none'",
    }


def _sign_in(**overrides) -> SignIn:
    values = dict(mode="cognito", region="eu-west-1", user_pool_id="eu-west-1_abc", user_pool_client_id="client",
                  hosted_ui_domain="x.auth.eu-west-1.amazoncognito.com", redirect_uri="https://d1.cloudfront.net/")
    return SignIn(**{**values, **overrides})


def test_config_json_has_the_shared_contract_shape() -> None:
    document = runtime_config(environment="dev", sign_in=_sign_in())
    assert document == {
        "environment": "dev", "local": False, "api_base": "/v1",
        "auth": {"mode": "cognito", "region": "eu-west-1", "user_pool_id": "eu-west-1_abc",
                 "user_pool_client_id": "client", "hosted_ui_domain": "x.auth.eu-west-1.amazoncognito.com",
                 "redirect_uri": "https://d1.cloudfront.net/", "scopes": ["openid", "email", "profile"]},
    }


def test_iam_mode_carries_the_identity_pool_and_what_to_sign_for() -> None:
    signing = ApiSigning(host="abc.execute-api.eu-west-1.amazonaws.com", path_prefix="/api")
    # The endpoint and provider name come from the stack (partition-aware), never from the page's own guess.
    identity = IdentityExchange(pool_id="eu-west-1:id", endpoint="https://cognito-identity.eu-west-1.amazonaws.com",
                                provider="cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc")
    auth = runtime_config(environment="staging", sign_in=_sign_in(mode="iam", identity=identity,
                                                                  api_signing=signing))["auth"]
    assert auth["identity_pool_id"] == "eu-west-1:id"
    assert auth["identity_endpoint"] == "https://cognito-identity.eu-west-1.amazonaws.com"
    assert auth["identity_provider"] == "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
    assert auth["api_signing"] == {"service": "execute-api", "host": "abc.execute-api.eu-west-1.amazonaws.com",
                                   "path_prefix": "/api"}
    with pytest.raises(ValueError, match="mode 'iam'"):
        _sign_in(mode="iam")
