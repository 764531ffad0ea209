curl -sS -X PUT "$STORYFLOW_URL/api/v1/rules" \
  -H "authorization: Bearer $STORYFLOW_TOKEN" -H 'content-type: application/json' \
  -d @rules-bad.json
