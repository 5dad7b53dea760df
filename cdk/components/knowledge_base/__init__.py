from cdk.components.knowledge_base.construct import KnowledgeBase, create_only_fingerprint
from cdk.components.knowledge_base.props import KnowledgeBaseDescriptor, KnowledgeBaseProps

__all__ = ["KnowledgeBase", "KnowledgeBaseDescriptor", "KnowledgeBaseProps", "create_only_fingerprint"]
