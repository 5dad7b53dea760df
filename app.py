#!/usr/bin/env python3
"""The genai-stack CDK app: one Stage per environment declared in cdk.json.

    cdk synth '**'              # every environment
    cdk synth -c env=dev '**'   # one environment
"""

from __future__ import annotations

import sys

from cdk.main import build_app


def main() -> int:
    try:
        app = build_app()
    except Exception as error:
        from cdk.config import ConfigError

        if isinstance(error, ConfigError):
            print(f"genai-stack: invalid configuration: {error}", file=sys.stderr)
            return 2
        raise
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
