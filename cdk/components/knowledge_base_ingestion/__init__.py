from cdk.components.knowledge_base_ingestion.construct import KnowledgeBaseIngestion, enable_event_bridge_notifications

__all__ = ["KnowledgeBaseIngestion", "enable_event_bridge_notifications"]
