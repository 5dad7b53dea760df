"""Props (CDK-free) load eagerly, the construct on first use: cdk.config imports the props."""

from cdk.components.lambda_web_adapter.props import DEFAULT_LAYER_VERSION, WebAdapterProps
from cdk.components.lazy import lazy_exports

__getattr__ = lazy_exports(__name__, {"construct": ("WebAdapterLayer",)})

__all__ = ["DEFAULT_LAYER_VERSION", "WebAdapterLayer", "WebAdapterProps"]
