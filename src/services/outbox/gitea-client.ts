// The calls storyflow makes to Gitea's (and Forgejo's) REST API, `apiUrl` being its root
// (https://gitea.example/api/v1), with an access token (`Authorization: token …`). The
// repository is `owner/name`, as Gitea's webhooks name it (repository.full_name).
//   POST  /repos/{owner}/{repo}/issues/{index}/comments   (issueCreateComment)
//   PATCH /repos/{owner}/{repo}/issues/comments/{id}      (issueEditComment)
//   POST  /repos/{owner}/{repo}/statuses/{sha}            (repoCreateStatus)
//   GET   /repos/{owner}/{repo}/pulls?state=open          (repoListPullRequests: no head filter,
//                                                          so the pages are looked through)
//   POST  /repos/{owner}/{repo}/pulls                     (repoCreatePullRequest)
//   PATCH /repos/{owner}/{repo}/pulls/{index}             (repoEditPullRequest)
// Gitea's own description of them: test/fixtures/gitea-api/.
import type { ForgeConfig } from '../../config/config.js';
import type {
  CommentPayload,
  FetchLike,
  ForgeClient,
  PullRequestPayload,
  SendResult,
  StatusPayload,
} from './forge-client.js';
import {
  callForge,
  type ForgeCallResult,
  idOf,
  repositorySegments,
  sendResultOf,
} from './forge-http.js';
import {
  openOrUpdatePullRequest,
  type PullRequestAnswer,
  pullRequestOf,
} from './pull-request-call.js';

/** Open pull requests looked through for storyflow's, 50 a page (Gitea's default maximum). */
const PULL_PAGE = 50;
const MAX_PULL_PAGES = 20;

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
  if (kind === 'pull-request') {
    const pull = payload as PullRequestPayload;
    const [owner, repo] = repositorySegments(pull.repository);
    const pulls = `/repos/${owner}/${repo}/pulls`;
    const answered = (result: ForgeCallResult): PullRequestAnswer => {
      if (result.kind === 'sent')
        return { kind: 'found', pullRequest: pullRequestOf(result.body, 'number', 'html_url') };
      return result.kind === 'refused' ? { kind: 'refused', error: result.error } : result;
    };
    const text = { title: pull.title, body: pull.body };
    return openOrUpdatePullRequest({
      async findOpen() {
        for (let page = 1; page <= MAX_PULL_PAGES; page += 1) {
          const listed = await call(
            'GET',
            `${pulls}?state=open&limit=${PULL_PAGE}&page=${page}`,
            undefined,
          );
          if (listed.kind !== 'sent') return answered(listed);
          const open = Array.isArray(listed.body) ? (listed.body as unknown[]) : [];
          const ours = open.find((item) => {
            const { head, base } = (item ?? {}) as {
              head?: { ref?: unknown };
              base?: { ref?: unknown };
            };
            return head?.ref === pull.head && base?.ref === pull.base;
          });
          if (ours !== undefined)
            return { kind: 'found', pullRequest: pullRequestOf(ours, 'number', 'html_url') };
          if (open.length < PULL_PAGE) break;
        }
        return { kind: 'found', pullRequest: null };
      },
      create: async () =>
        answered(await call('POST', pulls, { ...text, head: pull.head, base: pull.base })),
      update: async (index) =>
        answered(await call('PATCH', `${pulls}/${encodeURIComponent(index)}`, text)),
    });
  }
  return { kind: 'refused', error: `unknown outbox kind ${kind}` };
}
