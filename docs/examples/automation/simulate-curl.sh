curl -sS -X POST "$STORYFLOW_URL/api/v1/rules/simulate" \
  -H "authorization: Bearer $STORYFLOW_TOKEN" -H 'content-type: application/json' \
  -d @simulate-request.json
