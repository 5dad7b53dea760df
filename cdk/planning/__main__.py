"""CLI of the compute planner.

    python -m cdk.planning --params 7e9 --instance ml.trn1.32xlarge --count 4 [--tokens 1.4e11] [--mfu 0.4]
                           [--region us-east-1] [--max-runtime-hours 24]

``--params`` and ``--tokens`` take plain numbers or K/M/B/T suffixes (``7B``, ``1.4T``). Bad arguments exit 2
with a message naming the argument and the allowed values.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cdk.planning import compute_planner, instances, plan_text


def _quantity(text: str) -> float:
    try:
        return plan_text.parse_quantity(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cdk.planning",
        description="Size a training run with the Chinchilla scaling laws on AWS Trainium.",
    )
    parser.add_argument("--params", type=_quantity, required=True, help="model parameters, e.g. 7e9 or 7B")
    parser.add_argument(
        "--instance",
        required=True,
        metavar="TYPE",
        help=f"Trainium instance type: {', '.join(sorted(instances.TRAINIUM_TRAINING_TYPES))}",
    )
    parser.add_argument("--count", type=int, default=1, help="number of instances (default 1)")
    parser.add_argument("--tokens", type=_quantity, help="training tokens (default: compute-optimal 20 x params)")
    parser.add_argument("--mfu", type=float, default=compute_planner.DEFAULT_MFU, help="0 < MFU <= 1 (default 0.4)")
    parser.add_argument("--region", default=compute_planner.DEFAULT_REGION, help="AWS region for the price")
    parser.add_argument(
        "--max-runtime-hours",
        type=float,
        help="warn when a SageMaker job with this MaxRuntime (at most 672 h) cannot finish the planned tokens",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.instance not in instances.TRAINIUM_TRAINING_TYPES:
        parser.error(
            f"argument --instance: unknown or non-training instance type {args.instance!r}; "
            f"allowed: {', '.join(sorted(instances.TRAINIUM_TRAINING_TYPES))}"
        )
    try:
        result = compute_planner.plan(
            args.params,
            instance_type=args.instance,
            instance_count=args.count,
            tokens=args.tokens,
            mfu=args.mfu,
            region=args.region,
        )
        warning = None
        if args.max_runtime_hours is not None:
            warning = compute_planner.check_max_runtime(result, round(args.max_runtime_hours * 3600))
    except compute_planner.PlanError as exc:
        parser.error(str(exc))
    others = tuple(n for n in (1, 4, 16) if n != args.count)
    print(plan_text.format_plan(result, other_counts=others))
    if warning:
        print(f"WARNING: {warning}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
