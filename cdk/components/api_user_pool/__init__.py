"""Props (CDK-free) load eagerly, the constructs on first use: cdk.config imports the props."""

from cdk.components.api_user_pool.props import HostedUiProps
from cdk.components.lazy import lazy_exports

__getattr__ = lazy_exports(__name__, {"construct": ("ApiUserPool",), "hosted_ui": ("HostedUiSignIn",),
                                      "identity_pool": ("ApiIdentityPool",)})

__all__ = ["ApiIdentityPool", "ApiUserPool", "HostedUiProps", "HostedUiSignIn"]
