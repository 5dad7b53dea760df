#!/bin/sh
# The streaming function's handler under the Lambda Web Adapter (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap):
# LWA runs this script, waits for GET / on AWS_LWA_PORT, then forwards each invocation to the server.
cd "${LAMBDA_TASK_ROOT:-$(dirname "$0")}" || exit 1
export PYTHONPATH="${LAMBDA_TASK_ROOT:-.}${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m orchestrator.streaming.server
