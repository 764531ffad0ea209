# Undo it anyway, overwriting the fields changed since
curl -sS -X POST "$STORYFLOW_URL/api/v1/operations/$OPERATION/rollback?force=true" \
  -H "authorization: Bearer $STORYFLOW_TOKEN"
