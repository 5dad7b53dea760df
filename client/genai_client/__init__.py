"""Client of the genai-stack orchestration API (``genai-call``; see ``cli.py``)."""
