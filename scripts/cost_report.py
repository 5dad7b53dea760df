#!/usr/bin/env python3
"""The fixed monthly cost of each environment's SageMaker endpoint, from cdk.json and the planning price table.

An endpoint bills every instance-hour it is up: its baseline capacity (autoscaling ``min_capacity``, else
``initial_instance_count``) inside working hours and ``off_hours_min_capacity`` outside them when a scale-down
schedule applies; a disabled endpoint costs nothing. Scale-out above the baseline depends on traffic and is not
included. Prices come from ``cdk/planning/prices.json`` (dated; unverified prices are flagged).

    make cost-report                                  # every environment, priced in its own region
    python scripts/cost_report.py --env prod          # one environment
    python scripts/cost_report.py --price-region us-east-1

The price table covers few regions; when an environment's region has no price, the report says so and adds a table
at the reference region's list prices (``--reference-region``, us-east-1 by default), labelled as such.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cdk.config import ConfigError, EnvironmentConfig, load_app_config  # noqa: E402
from cdk.planning import compute_planner  # noqa: E402
from cdk.planning.cost_report import Schedule, format_report, monthly_fixed_cost  # noqa: E402


def endpoint_row(env: EnvironmentConfig, region: str) -> dict[str, Any]:
    endpoint = env.sagemaker.endpoint
    schedule = None
    if endpoint.schedule.enabled:
        schedule = Schedule.parse(endpoint.schedule.working_hours, timezone=endpoint.schedule.timezone,
                                  off_hours_count=endpoint.schedule.off_hours_min_capacity)
    row = monthly_fixed_cost(endpoint.instance_type, endpoint.baseline_capacity, region, schedule=schedule,
                             enabled=endpoint.enabled)
    return {"name": env.name, **row}


def training_line(env: EnvironmentConfig, region: str) -> str | None:
    training = env.sagemaker.training
    if not training.enabled or training.planned_params is None:
        return None
    plan = compute_planner.plan(training.planned_params, instance_type=training.instance_type,
                                instance_count=training.instance_count, tokens=training.planned_tokens,
                                mfu=training.planned_mfu, region=region)
    cost = "n/a (no price)" if plan.cost is None else f"{plan.cost:,.2f} {plan.currency}"
    return (f"{env.name}: one planned fine-tuning run = {plan.instance_hours:,.1f} instance-hours on "
            f"{plan.instance_count} x {plan.instance_type} ({plan.wall_hours:,.1f} h wall) in {region}: {cost}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", action="append", help="environment(s) to report (default: all in cdk.json)")
    parser.add_argument("--price-region", help="price every environment in this region instead of its own")
    parser.add_argument("--reference-region", default=compute_planner.DEFAULT_REGION,
                        help="region of the reference table shown when an environment's region has no price")
    args = parser.parse_args(argv)

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    try:
        config = load_app_config(context)
        environments = [config.environment(name) for name in args.env] if args.env else list(config.environments)
    except ConfigError as error:
        print(f"cost-report: invalid configuration: {error}", file=sys.stderr)
        return 2

    def rows(region_of) -> list[dict[str, Any]]:
        return [endpoint_row(env, region_of(env)) for env in environments]

    own = rows(lambda env: args.price_region or env.region)
    regions = sorted({row["region"] for row in own})
    print(f"SageMaker endpoints: fixed monthly cost ({', '.join(regions)} on-demand prices, 730 h/month)")
    print(format_report(own))
    missing = [row for row in own if row["enabled"] and row["monthly_cost"] is None]
    if missing and not args.price_region:
        reference = args.reference_region
        print()
        print(f"No price in the table for {', '.join(sorted({r['region'] for r in missing}))}; the same endpoints at "
              f"{reference} list prices, for reference:")
        print(format_report(rows(lambda env: reference)))

    lines = []
    for env in environments:
        line = training_line(env, args.price_region or env.region)
        if line and "n/a" in line and not args.price_region:
            line = f"{training_line(env, args.reference_region)} (reference price)"
        if line:
            lines.append(line)
    if lines:
        print()
        print("Fine-tuning is pay-per-run, not a fixed cost:")
        print("\n".join(f"  {line}" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
