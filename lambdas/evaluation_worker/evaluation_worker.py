"""The evaluation state machine's worker (Lambda). One function, three steps, chosen by ``event["step"]``:

- ``prepare``: the dataset JSONL in the report bucket -> validated -> ``runs/<run>/work.jsonl``, one line per item
  x model with the API Gateway proxy event that runs it (evaluation_metrics.requests: the CLI's contract);
- ``score``: the Distributed Map's results (ResultWriter manifest) -> ``responses.jsonl``, ``report.json`` and
  ``report.md``, metrics as CloudWatch embedded-metric logs, and one bring-your-own-responses judge dataset per model;
- ``finalize``: the judge jobs' outcome into the report, the release gate against the last accepted run
  (``accepted/report.json``, replaced when the gate passes); the state machine fails when the gate does.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import re
from typing import Any

from evaluation_metrics import dataset, gate, judge, report, requests
from evaluation_metrics.worker_contract import METRIC_DIMENSIONS, WorkerSettings

SETTINGS = WorkerSettings.from_env(os.environ)
_S3: Any = None
_RUN_ID = re.compile(r"[^A-Za-z0-9_.-]+")


def _s3() -> Any:
    global _S3
    if _S3 is None:
        import botocore.session

        _S3 = botocore.session.get_session().create_client("s3")
    return _S3


def _get(key: str, bucket: str | None = None) -> str:
    return _s3().get_object(Bucket=bucket or SETTINGS.bucket, Key=key)["Body"].read().decode("utf-8")


def _put(key: str, text: str, content_type: str = "application/json") -> None:
    _s3().put_object(Bucket=SETTINGS.bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type)


def _run_prefix(run_id: str) -> str:
    return f"runs/{_RUN_ID.sub('-', run_id)}"


def prepare(event: dict[str, Any]) -> dict[str, Any]:
    """The execution input (``dataset_key``, optional ``models`` and ``use_cases``) -> the work list."""
    execution_input = event["input"]
    key = execution_input.get("dataset_key")
    if not isinstance(key, str) or not key.startswith("datasets/"):
        raise ValueError('the execution input needs "dataset_key": "datasets/<file>.jsonl" (a key of the report bucket)')
    models = list(execution_input.get("models") or event["default_models"])
    items = dataset.parse_lines(_get(key).splitlines(), key)
    use_cases = set(execution_input.get("use_cases") or ())
    items = [item for item in items if not use_cases or item["use_case"] in use_cases]
    lines = [json.dumps(requests.prepared_line(item, model), ensure_ascii=False) for item in items for model in models]
    work_key = f"{_run_prefix(event['run_id'])}/work.jsonl"
    _put(work_key, "\n".join(lines) + "\n", "application/x-ndjson")
    return {"work_key": work_key, "dataset_key": key, "models": models, "items": len(items), "requests": len(lines)}


def _map_records(manifest_bucket: str, manifest_key: str) -> list[dict[str, Any]]:
    manifest = json.loads(_get(manifest_key, manifest_bucket))
    records = []
    for status, files in (manifest.get("ResultFiles") or {}).items():
        for entry in files:
            for child in json.loads(_get(entry["Key"], manifest_bucket)):
                line = json.loads(child["Input"])
                if status == "SUCCEEDED":
                    records.append(requests.record_from_proxy(line["item"], line["model"], json.loads(child["Output"])))
                else:  # the invocation itself failed (after the state machine's retries)
                    records.append(requests.record(line["item"], line["model"], 599,
                                                   {"error": {"code": "invocation_failed", "cause": child.get("Error")}}))
    return records


def _emit_metrics(built: dict[str, Any]) -> None:
    """One CloudWatch embedded-metric document per use case x model (no PutMetricData permission needed)."""
    timestamp = int(datetime.datetime.now(datetime.UTC).timestamp() * 1000)
    for result in built["results"]:
        values = {name: value for name, value in result["quality"].items() if value is not None}
        values.update({name: result["operational"][name] for name in ("error_rate", "refusal_rate", "toxicity_flags",
                                                                       "pii_leaks", "latency_p95_ms")
                       if result["operational"].get(name) is not None})
        print(json.dumps({
            "_aws": {"Timestamp": timestamp, "CloudWatchMetrics": [{
                "Namespace": SETTINGS.metrics_namespace, "Dimensions": [list(METRIC_DIMENSIONS)],
                "Metrics": [{"Name": name, "Unit": "Milliseconds" if name.endswith("_ms") else "None"} for name in values],
            }]},
            "Environment": SETTINGS.environment, "UseCase": result["use_case"], "Model": result["model"], **values,
        }))


def score(event: dict[str, Any]) -> dict[str, Any]:
    prefix = _run_prefix(event["run_id"])
    details = event["map_result"]["ResultWriterDetails"]
    records = _map_records(details["Bucket"], details["Key"])
    now = datetime.datetime.now(datetime.UTC)
    built = report.build(records, run_id=event["run_id"], created_at=now.isoformat(timespec="seconds"),
                         source="lambda", environment=SETTINGS.environment, datasets=[event["dataset_key"]],
                         judge={"status": "requested" if event.get("judge") else "not_requested"})
    _put(f"{prefix}/responses.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
         "application/x-ndjson")
    _put(f"{prefix}/report.json", json.dumps(built, ensure_ascii=False, indent=2))
    _put(f"{prefix}/report.md", report.markdown(built), "text/markdown")
    _emit_metrics(built)
    judge_inputs = []
    if event.get("judge"):
        for model in sorted({r["model"] for r in records}):
            lines = judge.dataset_lines(records, model)
            if not lines:
                continue
            key = f"{prefix}/judge/{judge.source_identifier(model)}.jsonl"
            _put(key, "\n".join(lines) + "\n", "application/x-ndjson")
            judge_inputs.append({
                "model": model, "source_identifier": judge.source_identifier(model),
                "job_name": judge.job_name(SETTINGS.environment, event["run_id"], model),
                "dataset_uri": f"s3://{SETTINGS.bucket}/{key}",
                "output_uri": f"s3://{SETTINGS.bucket}/{prefix}/judge-output/",
            })
    return {"report_key": f"{prefix}/report.json", "judge_inputs": judge_inputs}


def finalize(event: dict[str, Any]) -> dict[str, Any]:
    report_key = event["report_key"]
    built = json.loads(_get(report_key))
    jobs = [{"model": j.get("model"), "job_arn": j.get("job_arn"), "status": j.get("status", "Failed")}
            for j in event.get("judge_jobs") or ()]
    requested = built["judge"].get("status") == "requested"
    if requested:
        # Every judge job must complete (none started counts as a failure): the gate fails closed otherwise.
        completed = bool(jobs) and all(j["status"] == "Completed" for j in jobs)
        built["judge"] = {"status": "Completed" if completed else "Failed", "jobs": jobs}
    try:
        baseline = json.loads(_get("accepted/report.json"))
    except _s3().exceptions.NoSuchKey:
        baseline = None
    # A judge that was asked for must complete, whatever the configured gate says: judge failure fails closed.
    settings = dataclasses.replace(SETTINGS.gate, require_judge=True) if requested else SETTINGS.gate
    verdict = gate.evaluate(built, settings, baseline)
    built["gate"] = verdict.to_dict()
    _put(report_key, json.dumps(built, ensure_ascii=False, indent=2))
    _put(report_key.replace("report.json", "report.md"), report.markdown(built), "text/markdown")
    if verdict.passed:
        _put("accepted/report.json", json.dumps(built, ensure_ascii=False, indent=2))
    return {"passed": verdict.passed, "failures": list(verdict.failures), "report": f"s3://{SETTINGS.bucket}/{report_key}"}


STEPS = {"prepare": prepare, "score": score, "finalize": finalize}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = STEPS.get(event.get("step"))
    if step is None:
        raise ValueError(f"step must be one of {sorted(STEPS)}")
    return step(event)
