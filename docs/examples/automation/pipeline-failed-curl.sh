curl -sS -X POST "$STORYFLOW_URL/api/v1/ci/events" \
  -H "authorization: Bearer $STORYFLOW_TOKEN" -H 'content-type: application/json' \
  -d @pipeline-failed.json
