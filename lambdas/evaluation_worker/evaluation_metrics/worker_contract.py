"""The evaluation worker's environment variables: written by the evaluation stack (:meth:`WorkerSettings.to_env`),
read by the worker at cold start (:meth:`WorkerSettings.from_env`). Stdlib only (stacks import it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .gate import GateSettings

#: CloudWatch dimensions of every evaluation metric (embedded metric format, one document per use case x model).
METRIC_DIMENSIONS = ("Environment", "UseCase", "Model")


@dataclass(frozen=True)
class WorkerSettings:
    bucket: str
    environment: str
    metrics_namespace: str
    gate: GateSettings

    def to_env(self) -> dict[str, str]:
        return {"REPORT_BUCKET": self.bucket, "ENVIRONMENT_NAME": self.environment,
                "EVALUATION_METRICS_NAMESPACE": self.metrics_namespace, "GATE": self.gate.to_json()}

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WorkerSettings:
        missing = [k for k in ("REPORT_BUCKET", "ENVIRONMENT_NAME", "EVALUATION_METRICS_NAMESPACE", "GATE") if not env.get(k)]
        if missing:
            raise ValueError(f"missing environment variable(s): {', '.join(missing)}")
        try:
            gate = GateSettings.from_json(env["GATE"])
        except ValueError as error:
            raise ValueError(f"GATE: {error}") from None
        return cls(bucket=env["REPORT_BUCKET"], environment=env["ENVIRONMENT_NAME"],
                   metrics_namespace=env["EVALUATION_METRICS_NAMESPACE"], gate=gate)
