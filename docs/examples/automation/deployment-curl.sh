curl -sS -X POST "$STORYFLOW_URL/api/v1/deployments" \
  -H "authorization: Bearer $STORYFLOW_TOKEN" -H 'content-type: application/json' \
  -d @deployment.json
