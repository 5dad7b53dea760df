"""Typed arguments of :class:`~cdk.components.playground_site.PlaygroundSite` (CDK-free), and the two documents the
site serves that are not the app's own files: its Content-Security-Policy and its ``/config.json``.

The config reader (``cdk/config/playground.py``) builds :class:`SiteProps` directly, so each default and bound is
written once, here. :func:`runtime_config` is the one writer of ``/config.json``; the app's reader is
``playground/src/config.ts`` (shape in the README's "Playground" section).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# CloudFront price classes (CloudFormation AWS::CloudFront::Distribution DistributionConfig.PriceClass).
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
# CustomOriginConfig.OriginReadTimeout: 1..120 s with the default quota (botocore cloudfront 2020-05-31 model,
# CustomOriginConfig.OriginReadTimeout: "the maximum is 120 seconds, and the default ... is 30 seconds"). It bounds
# the wait for the first byte and between two chunks, so it also bounds the gaps in a streamed (SSE) answer.
ORIGIN_READ_TIMEOUT_RANGE = (1, 120)
# A CLOUDFRONT-scope web ACL lives in us-east-1 (aws-cdk-lib 2.275 Distribution.validateWebAclId refuses any other
# region; AWS WAF Developer Guide: CloudFront web ACLs are created in US East (N. Virginia)).
CLOUDFRONT_WEB_ACL_ARN_PATTERN = r"arn:aws[a-z-]*:wafv2:us-east-1:[0-9]{12}:global/webacl/[A-Za-z0-9_-]{1,128}/[a-f0-9-]{36}"
#: The path of the runtime settings the app fetches first (same origin).
RUNTIME_CONFIG_PATH = "config.json"
#: The path prefix CloudFront proxies to the API (the app's ``api_base``).
API_PATH_PREFIX = "/v1"


@dataclass(frozen=True)
class SiteProps:
    """``price_class``: which edge locations serve the site; ``web_acl_arn``: an existing CLOUDFRONT-scope web ACL
    (us-east-1) to attach, or None; ``access_log_expiration_days``: how long CloudFront's access logs are kept;
    ``api_read_timeout_seconds``: how long CloudFront waits for the API's first byte, and between two chunks of a
    streamed answer."""

    price_class: str = "PriceClass_100"
    web_acl_arn: str | None = None
    access_log_expiration_days: int = 90
    api_read_timeout_seconds: int = 60

    def __post_init__(self) -> None:
        if self.price_class not in PRICE_CLASSES:
            raise ValueError(f"price_class {self.price_class!r} is not one of {', '.join(PRICE_CLASSES)}")
        low, high = ORIGIN_READ_TIMEOUT_RANGE
        if not low <= self.api_read_timeout_seconds <= high:
            raise ValueError(f"api_read_timeout_seconds must be in [{low}, {high}]")


def content_security_policy(*, connect_origins: Sequence[str] = (), form_origins: Sequence[str] = ()) -> str:
    """The site's Content-Security-Policy: everything from the site's own origin, nothing inline, no frames.

    ``connect_origins``: what the page may fetch besides itself (the hosted UI's token endpoint, Cognito Identity);
    ``form_origins``: where a form may post besides itself (the hosted UI). The API is same-origin (``/v1/*``).
    """
    directives = (
        ("default-src", ("'self'",)),
        ("script-src", ("'self'",)),
        ("style-src", ("'self'",)),
        ("img-src", ("'self'",)),  # the page shows no data: or blob: image (an uploaded one is only sent)
        ("connect-src", ("'self'", *connect_origins)),
        ("frame-ancestors", ("'none'",)),
        ("base-uri", ("'none'",)),
        ("form-action", ("'self'", *form_origins)),
        ("object-src", ("'none'",)),
    )
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives)


@dataclass(frozen=True)
class ApiOrigin:
    """Where CloudFront sends ``/v1/*``: a REST API's ``<api-id>.execute-api.<region>.amazonaws.com`` and its stage
    (may be tokens). The same host and the stage-prefixed path are what an IAM-signed request is signed for."""

    domain_name: str
    stage_name: str

    @property
    def origin_path(self) -> str:
        return f"/{self.stage_name}"


@dataclass(frozen=True)
class ApiSigning:
    """What the page signs an IAM-authorized request for (SigV4): API Gateway checks the signature against the Host
    and path it receives from CloudFront (the execute-api domain, the stage-prefixed path), not the page's URL."""

    host: str  # <api-id>.execute-api.<region>.amazonaws.com
    path_prefix: str  # /<stage>: CloudFront's origin path for /v1/*
    service: str = "execute-api"


@dataclass(frozen=True)
class IdentityExchange:
    """Mode "iam": where the page trades the user pool's ID token for AWS credentials (Cognito Identity GetId and
    GetCredentialsForIdentity). Both addresses come from the stack, partition-aware: ``endpoint`` is also the
    Content-Security-Policy's connect-src entry, ``provider`` the ``Logins`` key."""

    pool_id: str
    endpoint: str  # https://cognito-identity.<region>.<url suffix>
    provider: str  # the user pool's provider name: cognito-idp.<region>.<url suffix>/<user pool id>


@dataclass(frozen=True)
class SignIn:
    """The hosted-UI sign-in the page performs: authorization code with PKCE at ``hosted_ui_domain``."""

    mode: str  # "cognito": the API takes the ID token; "iam": the page trades it for credentials and signs
    region: str
    user_pool_id: str
    user_pool_client_id: str
    hosted_ui_domain: str  # <prefix>.auth.<region>.amazoncognito.com (no scheme)
    redirect_uri: str
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    identity: IdentityExchange | None = None  # mode "iam" only
    api_signing: ApiSigning | None = None  # mode "iam" only

    def __post_init__(self) -> None:
        if self.mode not in ("cognito", "iam"):
            raise ValueError(f"sign-in mode {self.mode!r} is not cognito or iam")
        if (self.mode == "iam") != (self.identity is not None and self.api_signing is not None):
            raise ValueError("identity and api_signing go with mode 'iam', and only with it")


def runtime_config(*, environment: str, sign_in: SignIn) -> dict[str, Any]:
    """The ``/config.json`` document (values may be CDK tokens; BucketDeployment resolves them at deploy time)."""
    auth: dict[str, Any] = {
        "mode": sign_in.mode,
        "region": sign_in.region,
        "user_pool_id": sign_in.user_pool_id,
        "user_pool_client_id": sign_in.user_pool_client_id,
        "hosted_ui_domain": sign_in.hosted_ui_domain,
        "redirect_uri": sign_in.redirect_uri,
        "scopes": list(sign_in.scopes),
    }
    if sign_in.mode == "iam":
        identity = sign_in.identity
        auth.update(identity_pool_id=identity.pool_id, identity_endpoint=identity.endpoint,
                    identity_provider=identity.provider)
        signing = sign_in.api_signing
        auth["api_signing"] = {"service": signing.service, "host": signing.host, "path_prefix": signing.path_prefix}
    return {"environment": environment, "local": False, "auth": auth, "api_base": API_PATH_PREFIX}
