from cdk.components.conversation_table.construct import ConversationTable

__all__ = ["ConversationTable"]
