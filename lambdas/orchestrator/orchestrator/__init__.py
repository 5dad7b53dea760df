"""Orchestrator logic for the genai-stack API (handler.py is the thin Lambda entry point).

Modules are small and import nothing heavy at import time: cold start matters.
"""
