from cdk.components.alarm_topic.construct import AlarmTopic
from cdk.components.alarm_topic.props import BUDGETS, CLOUDWATCH_ALARMS, EVENTBRIDGE_RULES, TopicPublisher

__all__ = ["BUDGETS", "CLOUDWATCH_ALARMS", "EVENTBRIDGE_RULES", "AlarmTopic", "TopicPublisher"]
