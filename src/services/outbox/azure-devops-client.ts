// The calls storyflow makes to Azure DevOps Services' REST API 7.1, `apiUrl` being the
// organization (https://dev.azure.com/{organization}), with a personal access token sent as
// Basic auth with an empty user name. The repository is `<project>/<repository>`, as Azure
// DevOps' service hooks name it (spaces written %20). The linkback comment is the first comment
// of a thread of its own (remote id `<threadId>/<commentId>`); the storyflow/story status is a
// pull request status (context genre `storyflow`, name `story`), which a branch policy
// "Require a successful status" can demand.
//   POST  {project}/_apis/git/repositories/{repositoryId}/pullRequests/{pullRequestId}/threads
//   PATCH {project}/_apis/git/repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}/comments/{commentId}
//   POST  {project}/_apis/git/repositories/{repositoryId}/pullRequests/{pullRequestId}/statuses
// Microsoft's description of them: test/fixtures/azure-devops-api/.
import type { ForgeConfig } from '../../config/config.js';
import type {
  CommentPayload,
  FetchLike,
  ForgeClient,
  SendResult,
  StatusPayload,
} from './forge-client.js';
import { callForge, repositorySegments, sendResultOf } from './forge-http.js';

export const azureDevopsClient: ForgeClient = { send: sendToAzureDevops };

const API_VERSION = 'api-version=7.1';

/** The status's context: `storyflow/story` as Azure DevOps shows it (genre/name). */
export const AZURE_STATUS_CONTEXT = { genre: 'storyflow', name: 'story' };

const STATES: Record<StatusPayload['state'], string> = {
  success: 'succeeded',
  failure: 'failed',
  error: 'error',
  pending: 'pending',
};

export async function sendToAzureDevops(
  forge: ForgeConfig,
  kind: string,
  payload: unknown,
  remoteId: string | null,
  fetchImpl: FetchLike = fetch,
): Promise<SendResult> {
  const authorization = `Basic ${Buffer.from(`:${forge.token}`).toString('base64')}`;
  const call = (method: string, path: string, body: unknown) =>
    callForge(fetchImpl, method, `${forge.apiUrl}${path}?${API_VERSION}`, { authorization }, body);
  const pullRequest = (repository: string, number: number) => {
    const [project, repo] = repositorySegments(repository);
    return `/${project}/_apis/git/repositories/${repo}/pullRequests/${number}`;
  };
  if (kind === 'comment') {
    const comment = payload as CommentPayload;
    const base = pullRequest(comment.repository, comment.number);
    const ids = remoteId === null ? null : /^(\d+)\/(\d+)$/.exec(remoteId);
    if (ids) {
      const edited = await call('PATCH', `${base}/threads/${ids[1]}/comments/${ids[2]}`, {
        content: comment.body,
      });
      // Deleted by someone: create it again.
      if (!(edited.kind === 'refused' && edited.status === 404))
        return sendResultOf(edited, remoteId);
    }
    const created = await call('POST', `${base}/threads`, {
      comments: [{ parentCommentId: 0, content: comment.body, commentType: 'text' }],
      status: 'active',
    });
    return sendResultOf(created, created.kind === 'sent' ? threadCommentId(created.body) : null);
  }
  if (kind === 'status') {
    const status = payload as StatusPayload;
    // A pull request status: the head commit alone cannot name the pull request.
    if (status.number === undefined)
      return { kind: 'refused', error: 'an Azure DevOps status needs the pull request number' };
    const answer = await call('POST', `${pullRequest(status.repository, status.number)}/statuses`, {
      state: STATES[status.state],
      description: status.description,
      context: AZURE_STATUS_CONTEXT,
      ...(status.targetUrl === undefined ? {} : { targetUrl: status.targetUrl }),
    });
    return sendResultOf(answer, null);
  }
  return { kind: 'refused', error: `unknown outbox kind ${kind}` };
}

/** A created thread's id and its first comment's id, as `<threadId>/<commentId>`. */
function threadCommentId(body: unknown): string | null {
  const thread = body as { id?: unknown; comments?: { id?: unknown }[] } | null;
  const commentId = thread?.comments?.[0]?.id;
  if (typeof thread?.id !== 'number' || typeof commentId !== 'number') return null;
  return `${thread.id}/${commentId}`;
}
