"""The headers every dev-server response carries: the ones CloudFront's response-headers policy adds in AWS
(cdk/components/playground_site), so a page that breaks the Content-Security-Policy breaks locally too."""

from __future__ import annotations

#: The deployed site's policy for a same-origin API and no sign-in origins (the stub sign-in redirects nowhere):
#: everything from the page's own origin, nothing inline, no frames, no plugins.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # Browsers ignore HSTS over plain http (RFC 6797 section 8.1); sent for parity with CloudFront.
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",  # 730 days
}
