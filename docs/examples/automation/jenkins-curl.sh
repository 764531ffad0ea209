#!/usr/bin/env bash
# ci/storyflow.sh: tells storyflow what a Jenkins build did. Call it from `sh` steps:
#   sh 'ci/storyflow.sh push'                 every build of a branch
#   sh 'ci/storyflow.sh pr-opened'            the first build of a pull request
#   sh 'ci/storyflow.sh pipeline-failed'      in post { failure { … } }
#   sh 'ci/storyflow.sh pipeline-succeeded'   in post { success { … } }
#   sh 'ci/storyflow.sh pr-merged'            after the job merged the pull request
#   sh 'ci/storyflow.sh deployed'             after deploying to production
#   sh 'ci/storyflow.sh deploy-failed'        when the production deployment failed
# Jenkins sets BRANCH_NAME, GIT_COMMIT, BUILD_NUMBER, BUILD_URL, JOB_NAME and, for pull
# requests, CHANGE_ID, CHANGE_BRANCH, CHANGE_TARGET, CHANGE_TITLE, CHANGE_URL. STORYFLOW_URL
# and STORYFLOW_TOKEN (scopes ci:events and deployments:write, repository acme/shop) come from
# the job's credentials.
set -euo pipefail
STEP=$1
REPOSITORY=acme/shop
BRANCH=${CHANGE_BRANCH:-$BRANCH_NAME}

report() { # report <path> <json body>
  curl -sS --fail-with-body -X POST "$STORYFLOW_URL/api/v1/$1" \
    -H "authorization: Bearer $STORYFLOW_TOKEN" -H 'content-type: application/json' \
    -H "idempotency-key: $JOB_NAME-$BUILD_NUMBER-$STEP" -d "$2"
}

PR='{"number": '"${CHANGE_ID:-0}"', "title": "'"${CHANGE_TITLE:-}"'", "body": "",
     "source": "'"$BRANCH"'", "target": "'"${CHANGE_TARGET:-main}"'", "url": "'"${CHANGE_URL:-}"'",
     "draft": false}'
PIPELINE='{"id": "'"$BUILD_NUMBER"'", "name": "'"$JOB_NAME"'", "url": "'"$BUILD_URL"'"'

case "$STEP" in
push)
  report ci/events '{"kind": "push", "repository": "'"$REPOSITORY"'", "branch": "'"$BRANCH"'",
                     "sha": "'"$GIT_COMMIT"'"}' ;;
pr-opened | pr-merged)
  KIND=${STEP/-/.}
  report ci/events '{"kind": "'"$KIND"'", "repository": "'"$REPOSITORY"'", "branch": "'"$BRANCH"'",
                     "sha": "'"$GIT_COMMIT"'", "pr": '"$PR"'}' ;;
pipeline-failed)
  report ci/events '{"kind": "pipeline.failed", "repository": "'"$REPOSITORY"'", "branch": "'"$BRANCH"'",
                     "sha": "'"$GIT_COMMIT"'", "pipeline": '"$PIPELINE"', "status": "FAILURE"}}' ;;
pipeline-succeeded)
  report ci/events '{"kind": "pipeline.succeeded", "repository": "'"$REPOSITORY"'", "branch": "'"$BRANCH"'",
                     "sha": "'"$GIT_COMMIT"'", "pipeline": '"$PIPELINE"', "status": "SUCCESS"}}' ;;
deployed)
  report deployments '{"repository": "'"$REPOSITORY"'", "environment": "production", "status": "success",
                       "sha": "'"$GIT_COMMIT"'", "ref": "'"$BRANCH"'", "url": "'"$BUILD_URL"'"}' ;;
deploy-failed)
  report deployments '{"repository": "'"$REPOSITORY"'", "environment": "production", "status": "failure",
                       "sha": "'"$GIT_COMMIT"'", "ref": "'"$BRANCH"'", "url": "'"$BUILD_URL"'"}' ;;
*)
  echo "usage: $0 push|pr-opened|pipeline-failed|pipeline-succeeded|pr-merged|deployed|deploy-failed" >&2
  exit 2 ;;
esac
