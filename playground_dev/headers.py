"""The headers every dev-server response carries: the ones CloudFront's response-headers policy adds in AWS
(cdk/components/playground_site), so a page that breaks the Content-Security-Policy breaks locally too.

The policy text comes from the site's own writer (``content_security_policy``, CDK-free); the other values are the
policy's, and tests/infra/test_playground_dev_headers.py checks them against the synthesized dev site."""

from __future__ import annotations

from cdk.components.playground_site.props import content_security_policy

#: The deployed policy without sign-in origins: the stub sign-in redirects nowhere and the API is same-origin.
CONTENT_SECURITY_POLICY = content_security_policy()

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # Browsers ignore HSTS over plain http (RFC 6797 section 8.1); sent for parity with CloudFront.
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",  # 730 days
}
