# What automation did to a story, newest first: each operation with its changes and steps
curl -sS "$STORYFLOW_URL/api/v1/operations?story=$STORY" -H "authorization: Bearer $STORYFLOW_TOKEN"
