"""Tests of lambdas/kb_ingestion (the knowledge-base ingestion worker); its asset root is put on sys.path, as on
Lambda, so the code is imported as ``kb_ingestion``."""

import sys
from pathlib import Path

_SRC = str(Path(__file__).resolve().parents[3] / "lambdas" / "kb_ingestion")
if _SRC not in sys.path:
    sys.path.insert(0, _SRC)

import json  # noqa: E402
import os  # noqa: E402

# The handler builds its settings and client at import (cold start), as on Lambda.
os.environ.setdefault("DATA_SOURCES", json.dumps([{"name": "ops", "knowledge_base_id": "KB12345678",
                                                   "data_source_id": "DS12345678", "bucket_name": "b"}]))
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "genai-test/KnowledgeBases")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "kb-ingestion")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
