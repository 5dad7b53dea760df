"""Props (CDK-free) load eagerly, the construct on first use: cdk.config imports the props."""

from cdk.components.lazy import lazy_exports
from cdk.components.playground_site.props import (
    ApiOrigin,
    ApiSigning,
    IdentityExchange,
    SignIn,
    SiteProps,
    content_security_policy,
    runtime_config,
)

__getattr__ = lazy_exports(__name__, {"construct": ("PlaygroundSite",)})

__all__ = ["ApiOrigin", "ApiSigning", "IdentityExchange", "PlaygroundSite", "SignIn", "SiteProps",
           "content_security_policy", "runtime_config"]
