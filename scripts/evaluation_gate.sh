#!/usr/bin/env bash
# The release gate after an environment deploys (the CDK pipeline's EvaluationGate step and the GitHub deploy
# workflow): `make evaluate ENV=<env> GATE=1` against the deployed API, compared with the last accepted report.
#   TARGET_ENVIRONMENT  the environment (cdk.json -> context.environments)
#   API_URL             optional: the API stage URL (else cdk.out/outputs-<env>.json or the stack output)
#   BASELINE_URI        optional: s3:// URI of the last accepted report; replaced by this run's when the gate passes
#   REPORT_URI          optional: s3:// prefix the run's report directory is copied to (the log names it)
#   IF_GATED            optional: 1 = do nothing unless environments.<env>.evaluation.gate.in_pipeline
# Exit status: make evaluate's (1 = the gate failed; the failures and the report's path are in the log).
set -uo pipefail
: "${TARGET_ENVIRONMENT:?set TARGET_ENVIRONMENT}"
out="evaluation/reports/gate-${TARGET_ENVIRONMENT}"
rm -rf "$out" evaluation/baseline.json evaluation/accepted.json
if [ -n "${BASELINE_URI:-}" ]; then
  aws s3 cp --only-show-errors "$BASELINE_URI" evaluation/baseline.json \
    || echo "evaluation gate: no accepted report at $BASELINE_URI yet; thresholds only"
fi
make evaluate ENV="$TARGET_ENVIRONMENT" GATE=1 OUT="$out" ${API_URL:+API_URL="$API_URL"} ${IF_GATED:+IF_GATED=1} \
  BASELINE=evaluation/baseline.json ACCEPT=evaluation/accepted.json
status=$?
if [ -n "${REPORT_URI:-}" ] && [ -d "$out" ]; then
  aws s3 cp --only-show-errors --recursive "$out" "$REPORT_URI" && echo "evaluation report: ${REPORT_URI%/}/report.md"
else
  echo "evaluation report: $out/report.md"
fi
if [ "$status" -eq 0 ] && [ -n "${BASELINE_URI:-}" ] && [ -f evaluation/accepted.json ]; then
  aws s3 cp --only-show-errors evaluation/accepted.json "$BASELINE_URI"
fi
exit "$status"
