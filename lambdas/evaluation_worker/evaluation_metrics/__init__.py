"""Evaluation metrics shared by the evaluation worker Lambda and the CLI (``make evaluate``).

Stdlib only, except ROUGE-L and chrF, which come from rouge-score and sacrebleu where they are installed
(see text.py). Modules: dataset (JSONL + schema), requests (item -> API request -> record), text /
structured / grounding (quality metrics), operational (safety flags, refusals, latency, tokens, cost),
scoring, report (JSON + Markdown), gate (the release gate).
"""
