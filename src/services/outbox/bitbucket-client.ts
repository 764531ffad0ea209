// The calls storyflow makes to Bitbucket Cloud's REST API 2.0, `apiUrl` being its root
// (https://api.bitbucket.org/2.0 by default), with a repository or workspace access token
// (`Authorization: Bearer …`). The repository is `workspace/repo_slug`, as Bitbucket's webhooks
// name it (repository.full_name). Bitbucket Data Center has another API and is not served.
//   POST /repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments
//   PUT  /repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments/{comment_id}
//   POST /repositories/{workspace}/{repo_slug}/commit/{commit}/statuses/build
// The shapes storyflow relies on: test/fixtures/bitbucket-api/.
import type { ForgeConfig } from '../../config/config.js';
import type {
  CommentPayload,
  FetchLike,
  ForgeClient,
  SendResult,
  StatusPayload,
} from './forge-client.js';
import { callForge, idOf, repositorySegments, sendResultOf } from './forge-http.js';

export const bitbucketClient: ForgeClient = { send: sendToBitbucket };

/** The build status's key: one per commit, so a newer status replaces the older one. */
export const BITBUCKET_STATUS_KEY = 'storyflow-story';

const STATES: Record<StatusPayload['state'], string> = {
  success: 'SUCCESSFUL',
  failure: 'FAILED',
  error: 'FAILED',
  pending: 'INPROGRESS',
};

export async function sendToBitbucket(
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
      { authorization: `Bearer ${forge.token}` },
      body,
    );
  if (kind === 'comment') {
    const comment = payload as CommentPayload;
    const [workspace, slug] = repositorySegments(comment.repository);
    const comments = `/repositories/${workspace}/${slug}/pullrequests/${comment.number}/comments`;
    const content = { content: { raw: comment.body } };
    if (remoteId !== null) {
      const edited = await call('PUT', `${comments}/${encodeURIComponent(remoteId)}`, content);
      // Deleted by someone: create it again.
      if (!(edited.kind === 'refused' && edited.status === 404))
        return sendResultOf(edited, remoteId);
    }
    const created = await call('POST', comments, content);
    return sendResultOf(created, created.kind === 'sent' ? idOf(created.body) : null);
  }
  if (kind === 'status') {
    const status = payload as StatusPayload;
    const [workspace, slug] = repositorySegments(status.repository);
    const commit = encodeURIComponent(status.sha);
    const answer = await call(
      'POST',
      `/repositories/${workspace}/${slug}/commit/${commit}/statuses/build`,
      {
        key: BITBUCKET_STATUS_KEY,
        name: status.context,
        state: STATES[status.state],
        description: status.description,
        // "To associate a commit status to a pull request, the refname field must be set to the
        // source branch of the pull request" (the operation's description).
        ...(status.branch === undefined ? {} : { refname: status.branch }),
        // Bitbucket requires a URL: without one of storyflow's, the commit's own page.
        url: status.targetUrl ?? `${webUrlOf(forge.apiUrl)}/${workspace}/${slug}/commits/${commit}`,
      },
    );
    return sendResultOf(answer, null);
  }
  return { kind: 'refused', error: `unknown outbox kind ${kind}` };
}

/** https://api.bitbucket.org/2.0 → https://bitbucket.org (another root is kept as it is). */
function webUrlOf(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname === 'api.bitbucket.org') return 'https://bitbucket.org';
  return `${url.origin}`;
}
