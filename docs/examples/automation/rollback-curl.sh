# Undo one operation: 200 with the rollback operation, or 409 listing each field changed since
curl -sS -X POST "$STORYFLOW_URL/api/v1/operations/$OPERATION/rollback" \
  -H "authorization: Bearer $STORYFLOW_TOKEN"
