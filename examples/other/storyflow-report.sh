#!/usr/bin/env bash
# storyflow-report.sh — report a pipeline result or a deployment to storyflow from any CI system
# (Buildkite, CircleCI, Drone, Bamboo, a cron job, …) with nothing but bash and curl.
#
#   storyflow-report.sh pipeline started|success|failure
#   storyflow-report.sh deploy <environment> started|success|failure|rolled_back
#
# Environment: STORYFLOW_URL, STORYFLOW_TOKEN (scope ci:events for pipeline, deployments:write
# for deploy), and what your CI knows: REPOSITORY (owner/name), SHA, BRANCH, RUN_ID (unique per
# run of the pipeline), RUN_URL (optional).
set -euo pipefail
: "${STORYFLOW_URL:?}" "${STORYFLOW_TOKEN:?}" "${REPOSITORY:?}" "${SHA:?}" "${BRANCH:?}" "${RUN_ID:?}"

json() { # a JSON string
  local value=${1//\\/\\\\}
  value=${value//\"/\\\"}
  printf '"%s"' "$value"
}

# POST with retries: curl retries timeouts, refused connections, 408, 429, 500, 502, 503 and
# 504, honouring Retry-After. Every attempt (and a re-run of the same step) sends the same
# Idempotency-Key, so storyflow applies the report once.
post() { # path idempotency-key body
  curl --silent --show-error --fail-with-body \
    --retry 5 --retry-connrefused --retry-max-time 120 --max-time 30 \
    -X POST "${STORYFLOW_URL%/}$1" \
    -H "authorization: Bearer $STORYFLOW_TOKEN" \
    -H 'content-type: application/json' \
    -H "idempotency-key: $2" \
    --data "$3"
  echo
}

case "${1:-}" in
  pipeline)
    status=${2:?started, success or failure}
    kind=$(case "$status" in started) echo started ;; success) echo succeeded ;; *) echo failed ;; esac)
    post /api/v1/ci/events "ci-$REPOSITORY-$RUN_ID-pipeline-$status" "{
      \"kind\": \"pipeline.$kind\", \"repository\": $(json "$REPOSITORY"),
      \"branch\": $(json "$BRANCH"), \"sha\": $(json "$SHA"),
      \"pipeline\": {\"id\": $(json "$RUN_ID"), \"url\": $(json "${RUN_URL:-}"), \"status\": $(json "$status")}
    }"
    ;;
  deploy)
    environment=${2:?environment}
    status=${3:?started, success, failure or rolled_back}
    post /api/v1/deployments "ci-$REPOSITORY-$RUN_ID-deploy-$environment-$status" "{
      \"repository\": $(json "$REPOSITORY"), \"environment\": $(json "$environment"),
      \"status\": $(json "$status"), \"sha\": $(json "$SHA"), \"ref\": $(json "$BRANCH")
    }"
    ;;
  *)
    echo "usage: $0 pipeline STATUS | deploy ENVIRONMENT STATUS" >&2
    exit 2
    ;;
esac
