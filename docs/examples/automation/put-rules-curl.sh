# Replace the rules managed through the API (admin token); answers {"rules": […], "version": 1}
curl -sS -X PUT "$STORYFLOW_URL/api/v1/rules" \
  -H "authorization: Bearer $STORYFLOW_TOKEN" -H 'content-type: application/json' \
  -d @rules-put.json
