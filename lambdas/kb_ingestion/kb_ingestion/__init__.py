"""The knowledge-base ingestion worker: debounced ``StartIngestionJob`` calls and ingestion status metrics."""
