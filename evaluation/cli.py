"""Evaluate the use cases' datasets against one environment's API (or the local handler) and print the
report: one table per use case, one row per model.

    python -m evaluation --env staging [--models a,b] [--use-cases answer,classify] [--gate]
    python -m evaluation --local [--use-cases ...]

Writes ``<out>/report.json``, ``<out>/report.md`` and ``<out>/responses.jsonl`` (default out:
``evaluation/reports/<run id>/``). With ``--gate`` the exit status is the release gate's verdict (1 =
failed, the failures printed with the report's path).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluation_metrics import gate, report

from evaluation import runner  # also puts the lambdas/ packages on sys.path

ROOT = Path(__file__).resolve().parent.parent


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _environment(name: str) -> Any:
    from cdk.config import load_app_config

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    return load_app_config({**context, "env": name}).environment(name)


def _records(args: argparse.Namespace, items: list[dict], env: Any) -> tuple[list[dict], list[str], str]:
    if args.local:
        from evaluation import local

        models = _csv(args.models) or list(local.STUB_MODELS)
        with local.stubbed_aws():
            return runner.run(items, models, local.transport()), models, "stub"
    from evaluation import api

    if env.api.authorization != "iam":
        raise SystemExit(f"make evaluate: environments.{env.name}.api.authorization is {env.api.authorization!r}; "
                         "the evaluation signs requests with SigV4 and needs an IAM-authorized API")
    creds = api.credentials()
    models = _csv(args.models) or [model.id for model in env.bedrock.models]
    url = api.api_url(env.name, env.stack_name("api"), env.region, args.api_url)
    print(f"evaluating {len(items)} items x {len(models)} models against {url}", file=sys.stderr)
    concurrency = args.concurrency or env.evaluation.concurrency
    return runner.run(items, models, api.transport(url, env.region, creds), concurrency=concurrency), models, "api"


def _gate_settings(env: Any) -> gate.GateSettings:
    return env.evaluation.gate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="dev", help="the environment of cdk.json (its API, models and gate)")
    parser.add_argument("--local", action="store_true", help="run against the local handler with stubbed AWS")
    parser.add_argument("--models", help="comma-separated model ids (default: the environment's allow-list)")
    parser.add_argument("--use-cases", help="comma-separated use cases (default: every dataset)")
    parser.add_argument("--api-url", help="the API stage URL (default: cdk.out/outputs-<env>.json or the stack output)")
    parser.add_argument("--concurrency", type=int, help="requests in flight (default: evaluation.concurrency)")
    parser.add_argument("--out", type=Path, help="report directory (default: evaluation/reports/<run id>)")
    parser.add_argument("--gate", action="store_true", help="apply the environment's release gate to the report")
    parser.add_argument("--baseline", type=Path, help="the last accepted report.json (the gate's regression check)")
    parser.add_argument("--accept", type=Path, help="when the gate passes, copy report.json here (the next baseline)")
    parser.add_argument("--if-gated", action="store_true",
                        help="do nothing unless environments.<env>.evaluation.gate.in_pipeline (deploy workflows)")
    args = parser.parse_args(argv)

    env = _environment(args.env)
    items, files = runner.load_datasets(_csv(args.use_cases))
    # Questions grounded in a knowledge base the target does not have are not asked (the stubs have none).
    available = set() if args.local else {kb.name for kb in env.knowledge_bases}
    skipped = {i["id"] for i in items if i.get("knowledge_base") and i["knowledge_base"] not in available}
    if skipped:
        print(f"skipping {len(skipped)} items grounded in knowledge bases the target does not have", file=sys.stderr)
        items = [i for i in items if i["id"] not in skipped]
    if args.if_gated and not env.evaluation.gate_in_pipeline:
        print(f"evaluation gate: environments.{env.name}.evaluation.gate.in_pipeline is false; nothing to do",
              file=sys.stderr)
        return 0
    records, _, source = _records(args, items, env)
    now = datetime.datetime.now(datetime.UTC)
    run_id = f"{env.name}-{now:%Y%m%dT%H%M%SZ}"
    built = report.build(records, run_id=run_id, created_at=now.isoformat(timespec="seconds"), source=source,
                         environment=env.name, datasets=files)
    out = args.out or ROOT / "evaluation" / "reports" / run_id
    out.mkdir(parents=True, exist_ok=True)
    (out / "responses.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    (out / "report.json").write_text(json.dumps(built, indent=2, ensure_ascii=False))
    rendered = report.markdown(built)
    (out / "report.md").write_text(rendered)
    print(rendered)
    print(f"report: {out / 'report.json'}", file=sys.stderr)
    if not args.gate:
        return 0
    baseline = json.loads(args.baseline.read_text()) if args.baseline and args.baseline.is_file() else None
    verdict = gate.evaluate(built, _gate_settings(env), baseline)
    built["gate"] = verdict.to_dict()
    (out / "report.json").write_text(json.dumps(built, indent=2, ensure_ascii=False))
    if not verdict.passed:
        print(f"release gate FAILED for {env.name} (report {out / 'report.json'}):", file=sys.stderr)
        for failure in verdict.failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    print(f"release gate passed for {env.name} (report {out / 'report.json'})", file=sys.stderr)
    if args.accept:
        args.accept.parent.mkdir(parents=True, exist_ok=True)
        args.accept.write_text(json.dumps(built, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
