"""Props (CDK-free) load eagerly, the construct on first use: cdk.config imports the props."""

from cdk.components.knowledge_base.props import KnowledgeBaseDescriptor, KnowledgeBaseProps
from cdk.components.lazy import lazy_exports

__getattr__ = lazy_exports(__name__, {"construct": ("KnowledgeBase", "create_only_fingerprint")})

__all__ = ["KnowledgeBase", "KnowledgeBaseDescriptor", "KnowledgeBaseProps", "create_only_fingerprint"]
