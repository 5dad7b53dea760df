"""Typed arguments of :class:`~cdk.components.api_user_pool.HostedUiSignIn` (CDK-free).

The config reader (``cdk/config/playground.py``) builds :class:`HostedUiProps` directly, so each default and bound
is written once, here.
"""

from __future__ import annotations

from dataclasses import dataclass

# A prefix domain: botocore cognito-idp CreateUserPoolDomain Domain (DomainType: 1-63 characters,
# ^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$). Cognito also refuses prefixes containing these words (Amazon Cognito
# Developer Guide, "Using the Amazon Cognito prefix domain"; not in the model, unverified offline beyond that page).
DOMAIN_PREFIX_PATTERN = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN_PREFIX_RESERVED_WORDS = ("aws", "amazon", "cognito")
# ID and access tokens: 5 minutes .. 1 day; refresh tokens: 60 minutes .. 10 years, and longer than the others
# (aws-cdk-lib 2.275 UserPoolClient validates both ranges; the cognito-idp model states 1..86400 s).
TOKEN_VALIDITY_MINUTES_RANGE = (5, 24 * 60)
SESSION_HOURS_RANGE = (1, 24)
#: The OAuth scopes a browser client asks for: who signed in, nothing else.
BROWSER_SCOPES = ("openid", "email", "profile")


@dataclass(frozen=True)
class HostedUiProps:
    """``domain_prefix``: the hosted UI's ``<prefix>.auth.<region>.amazoncognito.com`` (unique per region across all
    accounts; may be a token); ``token_validity_minutes``: ID and access token lifetime; ``session_hours``: refresh
    token lifetime (how long the page can renew tokens without a new sign-in)."""

    domain_prefix: str
    token_validity_minutes: int = 30
    session_hours: int = 8

    def __post_init__(self) -> None:
        low, high = TOKEN_VALIDITY_MINUTES_RANGE
        if not low <= self.token_validity_minutes <= high:
            raise ValueError(f"token_validity_minutes must be in [{low}, {high}]")
        low, high = SESSION_HOURS_RANGE
        if not low <= self.session_hours <= high or self.session_hours * 60 <= self.token_validity_minutes:
            raise ValueError(f"session_hours must be in [{low}, {high}] and longer than token_validity_minutes")
