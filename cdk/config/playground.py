"""Section ``playground``: the browser playground (issue 16) of an environment, its site and its sign-in.

Off unless ``enabled``; every other key has a default::

    "playground": {"enabled": true, "price_class": "PriceClass_100", "web_acl_arn": null,
                   "access_log_retention_days": 90, "api_read_timeout_seconds": 60,
                   "domain_prefix": null, "token_validity_minutes": 30, "session_hours": 8}

``web_acl_arn``: an existing CLOUDFRONT-scope web ACL (created in us-east-1, e.g. by an organization's firewall
stack) to attach to the distribution; without one the distribution has none and the API stage's regional web ACL
(``api.waf_enabled``) still inspects every ``/v1/*`` request. ``domain_prefix``: the hosted UI's
``<prefix>.auth.<region>.amazoncognito.com`` (unique per region across all AWS accounts); the default is
``<project>-<environment>-playground-<account id>``. Bounds live in the components' props modules
(``cdk/components/playground_site/props.py``, ``cdk/components/api_user_pool/props.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdk.components.api_user_pool.props import (
    DOMAIN_PREFIX_PATTERN,
    DOMAIN_PREFIX_RESERVED_WORDS,
    SESSION_HOURS_RANGE,
    TOKEN_VALIDITY_MINUTES_RANGE,
)
from cdk.components.playground_site.props import (
    CLOUDFRONT_WEB_ACL_ARN_PATTERN,
    ORIGIN_READ_TIMEOUT_RANGE,
    PRICE_CLASSES,
    SiteProps,
)
from cdk.config.fields import ConfigError, Section

# S3 lifecycle expiration of the access logs: at least a day, at most ten years (the longest log retention here).
ACCESS_LOG_RETENTION_RANGE = (1, 3653)


@dataclass(frozen=True)
class PlaygroundConfig:
    enabled: bool = False
    site: SiteProps = field(default_factory=SiteProps)
    domain_prefix: str | None = None  # None: <project>-<environment>-playground-<account id>
    token_validity_minutes: int = 30
    session_hours: int = 8


def parse_playground(section: Section) -> PlaygroundConfig:
    d = PlaygroundConfig()
    enabled = section.boolean("enabled", d.enabled)
    site = SiteProps(
        price_class=section.string("price_class", d.site.price_class, choices=PRICE_CLASSES),
        web_acl_arn=section.string("web_acl_arn", None, pattern=CLOUDFRONT_WEB_ACL_ARN_PATTERN,
                                   pattern_hint="the ARN of a CLOUDFRONT-scope web ACL, which lives in us-east-1: "
                                                "arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>"),
        access_log_expiration_days=section.integer("access_log_retention_days", d.site.access_log_expiration_days,
                                                   minimum=ACCESS_LOG_RETENTION_RANGE[0],
                                                   maximum=ACCESS_LOG_RETENTION_RANGE[1]),
        api_read_timeout_seconds=section.integer("api_read_timeout_seconds", d.site.api_read_timeout_seconds,
                                                 minimum=ORIGIN_READ_TIMEOUT_RANGE[0],
                                                 maximum=ORIGIN_READ_TIMEOUT_RANGE[1]),
    )
    domain_prefix = section.string("domain_prefix", None, pattern=DOMAIN_PREFIX_PATTERN,
                                   pattern_hint="1-63 lowercase letters, digits or '-', not starting or ending with '-'")
    reserved = [word for word in DOMAIN_PREFIX_RESERVED_WORDS if domain_prefix and word in domain_prefix]
    if reserved:
        raise ConfigError(section.child_path("domain_prefix"),
                          f"{domain_prefix!r} is not allowed; Cognito refuses prefixes containing {reserved[0]!r} "
                          f"(nor any of {', '.join(DOMAIN_PREFIX_RESERVED_WORDS)})")
    token_minutes = section.integer("token_validity_minutes", d.token_validity_minutes,
                                    minimum=TOKEN_VALIDITY_MINUTES_RANGE[0], maximum=TOKEN_VALIDITY_MINUTES_RANGE[1])
    session_hours = section.integer("session_hours", d.session_hours, minimum=SESSION_HOURS_RANGE[0],
                                    maximum=SESSION_HOURS_RANGE[1])
    if session_hours * 60 <= token_minutes:
        raise ConfigError(section.child_path("session_hours"),
                          f"{session_hours} is out of range; allowed: more than token_validity_minutes "
                          f"({token_minutes} min) and at most {SESSION_HOURS_RANGE[1]}")
    section.finish()
    return PlaygroundConfig(enabled=enabled, site=site, domain_prefix=domain_prefix,
                            token_validity_minutes=token_minutes, session_hours=session_hours)
