"""The dev server (make playground) sends the security headers the deployed site's CloudFront response-headers
policy sends, so the app meets the same Content-Security-Policy locally and in AWS."""

from __future__ import annotations

from playground_dev.headers import SECURITY_HEADERS
from tests.infra.synth import flat
from tests.infra.test_knowledge import only


def deployed_headers(security: dict) -> dict[str, str]:
    """The response headers a CloudFront SecurityHeadersConfig adds (CloudFormation
    AWS::CloudFront::ResponseHeadersPolicy SecurityHeadersConfig: each member names its header)."""
    hsts = security["StrictTransportSecurity"]
    return {
        "Content-Security-Policy": flat(security["ContentSecurityPolicy"]["ContentSecurityPolicy"]),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": security["FrameOptions"]["FrameOption"],
        "Referrer-Policy": security["ReferrerPolicy"]["ReferrerPolicy"],
        "Strict-Transport-Security": f"max-age={hsts['AccessControlMaxAgeSec']}"
                                     + ("; includeSubDomains" if hsts.get("IncludeSubdomains") else "")
                                     + ("; preload" if hsts.get("Preload") else ""),
    }


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: values.split() for name, values in (part.split(" ", 1) for part in policy.split("; "))}


def test_the_dev_server_sends_the_deployed_dev_sites_headers(synthesized) -> None:
    stack = synthesized.stack("dev", "Playground")
    security = only(stack, "AWS::CloudFront::ResponseHeadersPolicy")["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"]
    deployed = deployed_headers(security)
    local = dict(SECURITY_HEADERS)
    assert set(local) == set(deployed)
    # The same directives and values, less the hosted UI's origins (locally the sign-in is stubbed).
    signed_in = {name: [v for v in values if not v.startswith("https://")]
                 for name, values in _directives(deployed.pop("Content-Security-Policy")).items()}
    assert _directives(local.pop("Content-Security-Policy")) == signed_in
    assert local == deployed
