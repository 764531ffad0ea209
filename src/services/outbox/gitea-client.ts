// The calls storyflow makes to Gitea's (and Forgejo's) REST API, `apiUrl` being its root
// (https://gitea.example/api/v1), with an access token (`Authorization: token …`). The
// repository is `owner/name`, as Gitea's webhooks name it (repository.full_name).
//   POST  /repos/{owner}/{repo}/issues/{index}/comments   (issueCreateComment)
//   PATCH /repos/{owner}/{repo}/issues/comments/{id}      (issueEditComment)
//   POST  /repos/{owner}/{repo}/statuses/{sha}            (repoCreateStatus)
// Gitea's own description of them: test/fixtures/gitea-api/.
import type { ForgeConfig } from '../../config/config.js';
import type {
  CommentPayload,
  FetchLike,
  ForgeClient,
  SendResult,
  StatusPayload,
} from './forge-client.js';
import { callForge, idOf, repositorySegments, sendResultOf } from './forge-http.js';

export const giteaClient: ForgeClient = { send: sendToGitea };

export async function sendToGitea(
  forge: ForgeConfig,
  kind: string,
  payload: unknown,
  remoteId: string | null,
  fetchImpl: FetchLike = fetch,
): Promise<SendResult> {
  const call = (method: string, path: string, body: unknown) =>
    callForge(
      fetchImpl,
      method,
      `${forge.apiUrl}${path}`,
      { authorization: `token ${forge.token}` },
      body,
    );
  if (kind === 'comment') {
    const comment = payload as CommentPayload;
    const [owner, repo] = repositorySegments(comment.repository);
    if (remoteId !== null) {
      const edited = await call(
        'PATCH',
        `/repos/${owner}/${repo}/issues/comments/${encodeURIComponent(remoteId)}`,
        { body: comment.body },
      );
      // Deleted by someone: create it again.
      if (!(edited.kind === 'refused' && edited.status === 404))
        return sendResultOf(edited, remoteId);
    }
    const created = await call(
      'POST',
      `/repos/${owner}/${repo}/issues/${comment.number}/comments`,
      {
        body: comment.body,
      },
    );
    return sendResultOf(created, created.kind === 'sent' ? idOf(created.body) : null);
  }
  if (kind === 'status') {
    const status = payload as StatusPayload;
    const [owner, repo] = repositorySegments(status.repository);
    const answer = await call(
      'POST',
      `/repos/${owner}/${repo}/statuses/${encodeURIComponent(status.sha)}`,
      {
        state: status.state,
        context: status.context,
        description: status.description,
        ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
      },
    );
    return sendResultOf(answer, null);
  }
  return { kind: 'refused', error: `unknown outbox kind ${kind}` };
}
