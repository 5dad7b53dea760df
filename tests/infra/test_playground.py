"""The Playground stack (issue 16; dev and staging enable it, prod does not): the app's private bucket behind
CloudFront with origin access control, HTTPS only, the strict response headers, access logs, the API proxied
uncached on /v1/*, hosted-UI sign-in with a PKCE-only public client, and in IAM environments an identity pool whose
one role may invoke exactly the API's routes."""

from __future__ import annotations

import json

import pytest

from cdk.components.orchestration_api.construct import ROUTES, UUID_MASK
from tests.infra.synth import flat
from tests.infra.test_knowledge import only

# The managed CloudFront cache policy CachingDisabled (CloudFront Developer Guide, "Use managed cache policies").
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"


@pytest.fixture(scope="module")
def dev(synthesized):
    return synthesized.stack("dev", "Playground")


@pytest.fixture(scope="module")
def staging(synthesized):
    return synthesized.stack("staging", "Playground")


def _distribution(stack) -> dict:
    return only(stack, "AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"]


def _api_behavior(stack) -> dict:
    [behavior] = [b for b in _distribution(stack)["CacheBehaviors"] if b["PathPattern"] == "/v1/*"]
    return behavior


def _origin(stack, origin_id: str) -> dict:
    [origin] = [o for o in _distribution(stack)["Origins"] if o["Id"] == origin_id]
    return origin


def test_dev_and_staging_get_the_stack_prod_does_not(synthesized):
    assert {s.environment for s in synthesized.stacks if s.construct_id == "Playground"} == {"dev", "staging"}


def test_the_files_are_read_through_origin_access_control_from_a_private_ssl_only_bucket(staging):
    config = _distribution(staging)
    default = config["DefaultCacheBehavior"]
    s3_origin = _origin(staging, default["TargetOriginId"])
    assert s3_origin["S3OriginConfig"] == {"OriginAccessIdentity": ""} and "OriginAccessControlId" in s3_origin
    oac = only(staging, "AWS::CloudFront::OriginAccessControl")["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == ("s3", "always",
                                                                                                       "sigv4")
    files_bucket = flat(s3_origin["DomainName"]).removeprefix("${").split(".")[0]
    bucket = staging.resources[files_bucket]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                        "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    [policy] = [p["Properties"]["PolicyDocument"]["Statement"] for p in
                staging.resources_of_type("AWS::S3::BucketPolicy").values()
                if p["Properties"]["Bucket"] == {"Ref": files_bucket}]
    [read] = [s for s in policy if s["Effect"] == "Allow"]
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"} and read["Action"] == "s3:GetObject"
    distribution = next(iter(staging.resources_of_type("AWS::CloudFront::Distribution")))
    assert flat(read["Condition"]["StringEquals"]["AWS:SourceArn"]).endswith(f":distribution/${{{distribution}}}")
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policy)


def test_every_behavior_redirects_http_to_https_and_the_app_has_a_root_object_and_spa_fallback(dev):
    config = _distribution(dev)
    assert config["DefaultRootObject"] == "index.html"
    assert {b["ViewerProtocolPolicy"] for b in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]} == {
        "redirect-to-https"}
    # Client-side routes are rewritten by a viewer-request function on the app's behavior only: a distribution-wide
    # custom error response would replace the API's own 403/404 answers with the app's page.
    assert "CustomErrorResponses" not in config
    [association] = config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    function = only(dev, "AWS::CloudFront::Function")["Properties"]
    assert "request.uri = '/index.html'" in function["FunctionCode"]
    assert "FunctionAssociations" not in _api_behavior(dev)


def test_the_response_headers_are_a_strict_csp_hsts_nosniff_no_referrer_and_no_framing(staging):
    headers = only(staging, "AWS::CloudFront::ResponseHeadersPolicy")["Properties"]["ResponseHeadersPolicyConfig"]
    security = headers["SecurityHeadersConfig"]
    csp = dict(part.split(" ", 1) for part in flat(security["ContentSecurityPolicy"]["ContentSecurityPolicy"]).split("; "))
    hosted_ui = "https://${SignInDomain555ACBE4}.auth.eu-west-1.amazoncognito.com"
    assert csp == {
        "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self'",
        # IAM mode: the page also asks Cognito Identity for credentials.
        "connect-src": f"'self' {hosted_ui} https://cognito-identity.eu-west-1.${{AWS::URLSuffix}}",
        # The page posts no form anywhere else: it leaves for the hosted UI by navigation, which form-action does
        # not govern (and the hosted UI's own forms are under the hosted UI's policy, not this one).
        "frame-ancestors": "'none'", "base-uri": "'none'", "form-action": "'self'",
        "object-src": "'none'",
    }
    assert security["StrictTransportSecurity"] == {"AccessControlMaxAgeSec": 63072000, "IncludeSubdomains": True,
                                                   "Override": True}
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["ReferrerPolicy"] == {"ReferrerPolicy": "no-referrer", "Override": True}
    assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    config = _distribution(staging)
    policy_id = {"Ref": next(iter(staging.resources_of_type("AWS::CloudFront::ResponseHeadersPolicy")))}
    assert all(b["ResponseHeadersPolicyId"] == policy_id for b in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]])


def test_dev_connects_only_to_the_hosted_ui(dev):
    headers = only(dev, "AWS::CloudFront::ResponseHeadersPolicy")["Properties"]["ResponseHeadersPolicyConfig"]
    csp = flat(headers["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "connect-src 'self' https://${SignInDomain555ACBE4}.auth.eu-west-1.amazoncognito.com;" in csp
    assert "cognito-identity" not in csp


def test_v1_goes_uncached_to_the_api_stage_with_every_method_and_every_header_but_host_and_accept_encoding(staging):
    behavior = _api_behavior(staging)
    assert behavior["CachePolicyId"] == CACHING_DISABLED
    [(policy_id, policy)] = staging.resources_of_type("AWS::CloudFront::OriginRequestPolicy").items()
    assert behavior["OriginRequestPolicyId"] == {"Ref": policy_id}
    config = policy["Properties"]["OriginRequestPolicyConfig"]
    # Host: the API expects its own domain (what the managed AllViewerExceptHostHeader leaves out); Accept-Encoding:
    # the API must not compress (and so perhaps buffer) a stream.
    assert config["HeadersConfig"] == {"HeaderBehavior": "allExcept", "Headers": ["Host", "Accept-Encoding"]}
    assert config["QueryStringsConfig"] == {"QueryStringBehavior": "all"}
    assert config["CookiesConfig"] == {"CookieBehavior": "none"}
    assert set(behavior["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert behavior["Compress"] is False  # a streamed answer passes as the API sends it
    origin = _origin(staging, behavior["TargetOriginId"])
    assert origin["OriginPath"] == "/api"  # the stage: /v1/x reaches /api/v1/x
    assert flat(origin["DomainName"]).endswith(".execute-api.eu-west-1.${AWS::URLSuffix}")
    custom = origin["CustomOriginConfig"]
    assert custom["OriginProtocolPolicy"] == "https-only" and custom["OriginSSLProtocols"] == ["TLSv1.2"]
    assert custom["OriginReadTimeout"] == 60 and "ResponseCompletionTimeout" not in origin


def test_cloudfront_writes_access_logs_to_a_bucket_that_accepts_its_acl_grant(staging):
    logging = _distribution(staging)["Logging"]
    assert logging["Prefix"] == "cloudfront/"
    logs_bucket = flat(logging["Bucket"]).removeprefix("${").split(".")[0]
    bucket = staging.resources[logs_bucket]["Properties"]
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"}


def test_the_sign_in_client_is_public_and_uses_the_authorization_code_grant_only(synthesized):
    for environment in ("dev", "staging"):
        stack = synthesized.stack(environment, "Playground")
        client = only(stack, "AWS::Cognito::UserPoolClient")["Properties"]
        assert client["GenerateSecret"] is False
        assert client["AllowedOAuthFlows"] == ["code"] and client["AllowedOAuthFlowsUserPoolClient"] is True
        assert client["AllowedOAuthScopes"] == ["openid", "email", "profile"]
        assert client["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]  # no password, SRP or custom flows
        assert client["SupportedIdentityProviders"] == ["COGNITO"]
        # Sign-out revokes the refresh token (playground/src/auth/cognito.ts), which needs revocation on the client.
        assert client["EnableTokenRevocation"] is True and client["PreventUserExistenceErrors"] == "ENABLED"
        url = "https://${SiteDistribution390DED28.DomainName}/"
        assert flat(client["CallbackURLs"]) == [url] and flat(client["LogoutURLs"]) == [url]
        assert (client["IdTokenValidity"], client["AccessTokenValidity"], client["RefreshTokenValidity"]) == (30, 30, 480)
        assert client["TokenValidityUnits"] == {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "minutes"}
        domain = only(stack, "AWS::Cognito::UserPoolDomain")["Properties"]
        assert flat(domain["Domain"]) == f"genai-{environment}-playground-${{AWS::AccountId}}"
        assert domain["ManagedLoginVersion"] == 1


def test_stagings_own_pool_is_invitation_only_with_mfa_and_threat_protection_enforced(staging):
    pool = only(staging, "AWS::Cognito::UserPool")["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["MfaConfiguration"] == "ON" and pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert pool["UserPoolTier"] == "PLUS" and pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}


def test_dev_signs_in_on_the_apis_own_pool_and_needs_no_identity_pool(dev):
    client = only(dev, "AWS::Cognito::UserPoolClient")["Properties"]
    assert "genai-dev-api" in json.dumps(client["UserPoolId"])  # the Api stack's pool (its Cognito authorizer)
    assert not dev.resources_of_type("AWS::Cognito::UserPool")
    assert not dev.resources_of_type("AWS::Cognito::IdentityPool")


def test_staging_trades_tokens_for_credentials_that_may_invoke_exactly_the_api_routes(staging):
    pool = only(staging, "AWS::Cognito::IdentityPool")["Properties"]
    assert pool["AllowUnauthenticatedIdentities"] is False and pool["AllowClassicFlow"] is False
    [provider] = pool["CognitoIdentityProviders"]
    assert provider["ServerSideTokenCheck"] is True
    attachment = only(staging, "AWS::Cognito::IdentityPoolRoleAttachment")["Properties"]
    assert set(attachment["Roles"]) == {"authenticated"}
    role_id = attachment["Roles"]["authenticated"]["Fn::GetAtt"][0]
    [trust] = staging.resources[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Federated": "cognito-identity.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"] == {
        "StringEquals": {"cognito-identity.amazonaws.com:aud": {"Ref": next(iter(
            staging.resources_of_type("AWS::Cognito::IdentityPool")))}},
        "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
    }
    policy = only(staging, "AWS::IAM::ManagedPolicy")["Properties"]
    assert policy["Roles"] == [{"Ref": role_id}]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "execute-api:Invoke" and statement["Effect"] == "Allow"
    granted = sorted(flat(arn).split("}/", 2)[-1] for arn in statement["Resource"])  # after .../<api id>/<stage>/
    expected = sorted(route.method + _arn_path(route.path) for route in ROUTES)
    assert granted == expected


def _arn_path(path: str) -> str:
    """How the grant names a resource path: a path parameter (a UUID) is a UUID-shaped mask of ``?``."""
    return "/".join(UUID_MASK if part.startswith("{") else part for part in path.split("/"))


def test_browsers_revalidate_the_apps_files_so_a_deploy_never_mixes_old_and_new(staging):
    # The build's names carry no content hash (index.html loads /app.js): without Cache-Control a browser keeps a
    # heuristically fresh old app.js beside a new config.json. "no-cache" = store, but revalidate (ETag) each use.
    deployment = only(staging, "Custom::CDKBucketDeployment")["Properties"]
    assert deployment["SystemMetadata"] == {"cache-control": "no-cache"}


def test_config_json_is_deployed_with_the_app_and_names_what_the_page_needs(synthesized, staging):
    deployment = only(staging, "Custom::CDKBucketDeployment")["Properties"]
    assert deployment["Prune"] is True and deployment["DistributionPaths"] == ["/*"]
    keys = deployment["SourceObjectKeys"]
    config_dirs = [synthesized.outdir / f"asset.{key.removesuffix('.zip')}" for key in keys]
    [config_file] = [d / "config.json" for d in config_dirs if (d / "config.json").is_file()]
    [app_dir] = [d for d in config_dirs if (d / "index.html").is_file()]
    assert not [p.name for p in app_dir.iterdir() if p.name.startswith(".")]  # no build stamps on the site
    text = config_file.read_text()
    markers = {marker: flat(value) for sources in deployment["SourceMarkers"] for marker, value in sources.items()}
    for marker, value in markers.items():  # each marker stands for a quoted JSON string
        text = text.replace(marker, json.dumps(value.removeprefix('"').removesuffix('"')))
    document = json.loads(text)
    assert document["environment"] == "staging" and document["local"] is False and document["api_base"] == "/v1"
    auth = document["auth"]
    assert auth["mode"] == "iam" and auth["region"] == "eu-west-1"
    assert auth["redirect_uri"] == "https://${SiteDistribution390DED28.DomainName}/"
    assert auth["hosted_ui_domain"] == "${SignInDomain555ACBE4}.auth.eu-west-1.amazoncognito.com"
    assert auth["user_pool_client_id"] == "${SignInPlaygroundClientF9EC1FC0}"
    assert auth["identity_pool_id"].startswith("${Identities")
    # Where the page trades the ID token for credentials: exactly the Cognito Identity origin the CSP lets it fetch,
    # and the user pool's own provider name as the Logins key (both partition-aware, nothing guessed by the page).
    headers = only(staging, "AWS::CloudFront::ResponseHeadersPolicy")["Properties"]["ResponseHeadersPolicyConfig"]
    csp = flat(headers["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    [connect] = [part for part in csp.split("; ") if part.startswith("connect-src ")]
    assert auth["identity_endpoint"] == "https://cognito-identity.eu-west-1.${AWS::URLSuffix}"
    assert auth["identity_endpoint"] in connect.split(" ")
    user_pool = next(iter(staging.resources_of_type("AWS::Cognito::UserPool")))
    assert auth["identity_provider"] == f"${{{user_pool}.ProviderName}}"
    assert auth["api_signing"]["path_prefix"] == "/api" and auth["api_signing"]["service"] == "execute-api"
    assert auth["api_signing"]["host"].endswith(".execute-api.eu-west-1.${AWS::URLSuffix}")
