"""Run dataset items x models through a transport and collect evaluation records."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from evaluation_metrics import dataset

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"

#: (item, model) -> record (evaluation_metrics.requests.record)
Transport = Callable[[Mapping[str, Any], str], dict[str, Any]]


def load_datasets(use_cases: Sequence[str] | None = None, directory: Path = DATASETS_DIR) -> tuple[list[dict], list[str]]:
    """Every item of the datasets under ``directory`` (validated), optionally only ``use_cases``; and the files read."""
    items, files = [], []
    for path in sorted(directory.glob("*.jsonl")):
        loaded = [item for item in dataset.load(path) if not use_cases or item["use_case"] in use_cases]
        if loaded:
            items.extend(loaded)
            files.append(path.name)
    if use_cases:
        missing = sorted(set(use_cases) - {item["use_case"] for item in items})
        if missing:
            raise SystemExit(f"no dataset items for use case(s) {', '.join(missing)} under {directory}")
    return items, files


def run(items: Iterable[Mapping[str, Any]], models: Sequence[str], transport: Transport, *,
        concurrency: int = 1) -> list[dict[str, Any]]:
    """One record per item x model, in input order. ``concurrency`` bounds the requests in flight (keep it
    under the API stage's throttle)."""
    pairs = [(item, model) for item in items for model in models]
    if concurrency <= 1:
        return [transport(item, model) for item, model in pairs]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(lambda pair: transport(*pair), pairs))

