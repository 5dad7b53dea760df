from cdk.components.alarm_topic.construct import AlarmTopic

__all__ = ["AlarmTopic"]
