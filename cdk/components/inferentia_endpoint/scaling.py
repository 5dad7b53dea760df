"""Autoscaling of the endpoint's variant: target tracking on invocations per instance and scheduled capacity."""

from __future__ import annotations

import aws_cdk.aws_sagemaker_alpha as sagemaker
from aws_cdk import Duration, TimeZone
from aws_cdk import aws_applicationautoscaling as appscaling

from cdk.components.inferentia_endpoint.props import Autoscaling

_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def autoscale(variant: sagemaker.IEndpointInstanceProductionVariant, autoscaling: Autoscaling,
              initial: int) -> sagemaker.ScalableInstanceCount:
    """Target tracking on invocations per instance, plus the scale-down schedule when there is one."""
    if not autoscaling.min_capacity <= initial <= autoscaling.max_capacity:
        raise ValueError(f"initial_instance_count {initial} must lie within min..max capacity "
                         f"({autoscaling.min_capacity}..{autoscaling.max_capacity})")
    capacity = variant.auto_scale_instance_count(min_capacity=autoscaling.min_capacity,
                                                 max_capacity=autoscaling.max_capacity)
    # Target tracking on SageMakerVariantInvocationsPerInstance; the alpha L2 sets the target to
    # max_requests_per_second * 60 * safety_factor, i.e. invocations per instance per minute.
    capacity.scale_on_invocations(
        "InvocationsPerInstance",
        max_requests_per_second=autoscaling.target_invocations_per_instance / 60,
        safety_factor=1.0,
        scale_in_cooldown=Duration.seconds(autoscaling.scale_in_cooldown_seconds),
        scale_out_cooldown=Duration.seconds(autoscaling.scale_out_cooldown_seconds),
    )
    if autoscaling.schedule is not None:
        _schedule(capacity, autoscaling)
    return capacity


def _schedule(capacity: sagemaker.ScalableInstanceCount, autoscaling: Autoscaling) -> None:
    schedule = autoscaling.schedule
    assert schedule is not None
    if not 1 <= schedule.off_hours_min_capacity <= schedule.off_hours_max_capacity <= autoscaling.max_capacity:
        raise ValueError("off-hours capacity must satisfy 1 <= min <= max <= autoscaling max_capacity")
    # The scheduled actions act on the L2's scalable target (aws-cdk-lib), which the alpha attribute wraps.
    target = capacity.node.find_child("Target")
    assert isinstance(target, appscaling.ScalableTarget)
    start_days = sorted(schedule.days)
    overnight = schedule.end_minute <= schedule.start_minute  # e.g. 20:00-04:00 ends the next day
    end_days = sorted({(day + 1) % 7 for day in start_days}) if overnight else start_days
    end_minute = schedule.end_minute % 1440
    zone = TimeZone.of(schedule.timezone)
    target.scale_on_schedule("ScaleUpForWorkingHours", schedule=_cron(start_days, schedule.start_minute),
                             min_capacity=autoscaling.min_capacity, max_capacity=autoscaling.max_capacity,
                             time_zone=zone)
    target.scale_on_schedule("ScaleDownAfterWorkingHours", schedule=_cron(end_days, end_minute),
                             min_capacity=schedule.off_hours_min_capacity,
                             max_capacity=schedule.off_hours_max_capacity, time_zone=zone)


def _cron(days: list[int], minute_of_day: int) -> appscaling.Schedule:
    return appscaling.Schedule.cron(minute=str(minute_of_day % 60), hour=str(minute_of_day // 60),
                                    week_day=",".join(_DAYS[day] for day in days))
