# The worker's settings contract lives in lambdas/kb_ingestion/: put the function folders on sys.path first.
import cdk.runtime_contracts  # noqa: F401  # isort: skip
from cdk.components.knowledge_base_ingestion.construct import KnowledgeBaseIngestion, enable_event_bridge_notifications

__all__ = ["KnowledgeBaseIngestion", "enable_event_bridge_notifications"]
