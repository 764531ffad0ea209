// The calls storyflow makes to GitHub's REST API, with plain fetch (five endpoints do not need
// @octokit/core): what each outbox kind sends, and how the answer is classified. Each call is
// authorized by the forge entry's token or its GitHub App's installation token
// (github-credentials.ts).
//   POST  /repos/{owner}/{repo}/issues/{issue_number}/comments
//         https://docs.github.com/en/rest/issues/comments#create-an-issue-comment
//   PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}
//         https://docs.github.com/en/rest/issues/comments#update-an-issue-comment
//   POST  /repos/{owner}/{repo}/statuses/{sha}
//         https://docs.github.com/en/rest/commits/statuses#create-a-commit-status
//   GET   /repos/{owner}/{repo}/issues/{issue_number}/comments?per_page=100&page=
//         https://docs.github.com/en/rest/issues/comments#list-issue-comments
//         (only for a comment whose create is in doubt: to find it rather than post a second)
//   POST  /repos/{owner}/{repo}/check-runs            (a GitHub App only)
//         https://docs.github.com/en/rest/checks/runs#create-a-check-run
//   PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}
//         https://docs.github.com/en/rest/checks/runs#update-a-check-run
//   GET   /repos/{owner}/{repo}/pulls?state=open&head={owner}:{branch}&base={base}
//   POST  /repos/{owner}/{repo}/pulls
//   PATCH /repos/{owner}/{repo}/pulls/{pull_number}
//         https://docs.github.com/en/rest/pulls/pulls (the updates branch's pull request)
import type { ForgeConfig } from '../../config/config.js';
import { LINKBACK_MARKER } from '../../domain/outbox/linkback-comment.js';
import type { ForgeBackoffHints } from '../../domain/outbox/next-send-delay.js';
import {
  CALL_TIMEOUT_MS,
  type CheckPayload,
  type CommentPayload,
  type FetchLike,
  type ForgeClient,
  type PullRequestPayload,
  type SendOptions,
  type SendResult,
  type StatusPayload,
} from './forge-client.js';
import { GithubCredentialError, githubCredentialsOf } from './github-credentials.js';
import {
  openOrUpdatePullRequest,
  type PullRequestAnswer,
  pullRequestOf,
} from './pull-request-call.js';

export const githubClient: ForgeClient = { send: sendToGithub };

export async function sendToGithub(
  forge: ForgeConfig,
  kind: string,
  payload: unknown,
  remoteId: string | null,
  fetchImpl: FetchLike = fetch,
  options: SendOptions = {},
): Promise<SendResult> {
  const repository = (payload as { repository?: unknown } | null)?.repository;
  let authorization: string;
  try {
    authorization = await githubCredentialsOf(forge, fetchImpl).authorization(String(repository));
  } catch (error) {
    return credentialFailure(error);
  }
  const call = (method: string, path: string, body: unknown) =>
    callGithub(forge, authorization, method, path, body, fetchImpl);
  if (kind === 'comment') {
    const comment = payload as CommentPayload;
    const [owner, repo] = splitRepository(comment.repository);
    let commentId = remoteId;
    // An earlier create may have reached GitHub unrecorded: adopt that comment if it is there.
    if (commentId === null && options.createInDoubt === true) {
      const found = await findLinkback(call, owner, repo, comment.number);
      if (found.kind !== 'found') return found;
      commentId = found.id;
    }
    if (commentId !== null) {
      const edited = await call(
        'PATCH',
        `/repos/${owner}/${repo}/issues/comments/${encodeURIComponent(commentId)}`,
        { body: comment.body },
      );
      // Deleted by someone: create it again.
      if (!(edited.kind === 'refused' && edited.status === 404)) return withoutStatus(edited);
    }
    const created = await call(
      'POST',
      `/repos/${owner}/${repo}/issues/${comment.number}/comments`,
      {
        body: comment.body,
      },
    );
    return withoutStatus(created);
  }
  if (kind === 'status') {
    const status = payload as StatusPayload;
    const [owner, repo] = splitRepository(status.repository);
    const answer = await call(
      'POST',
      `/repos/${owner}/${repo}/statuses/${encodeURIComponent(status.sha)}`,
      {
        state: status.state,
        context: status.context,
        description: status.description.slice(0, 140),
        ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
      },
    );
    const result = withoutStatus(answer);
    return result.kind === 'sent' ? { kind: 'sent', remoteId: null } : result;
  }
  if (kind === 'check') {
    // One check run per head commit: created once, then updated (its id is the row's remoteId).
    const check = payload as CheckPayload;
    const [owner, repo] = splitRepository(check.repository);
    const outcome = {
      name: check.name,
      status: 'completed',
      conclusion: check.conclusion,
      output: { title: check.title.slice(0, 255), summary: check.summary.slice(0, 65_535) },
      ...(check.detailsUrl === undefined ? {} : { details_url: check.detailsUrl }),
    };
    if (remoteId !== null) {
      const updated = await call(
        'PATCH',
        `/repos/${owner}/${repo}/check-runs/${encodeURIComponent(remoteId)}`,
        outcome,
      );
      if (!(updated.kind === 'refused' && updated.status === 404)) return withoutStatus(updated);
    }
    const created = await call('POST', `/repos/${owner}/${repo}/check-runs`, {
      ...outcome,
      head_sha: check.sha,
    });
    return withoutStatus(created);
  }
  if (kind === 'pull-request') {
    const pull = payload as PullRequestPayload;
    const [owner, repo] = splitRepository(pull.repository);
    const pulls = `/repos/${owner}/${repo}/pulls`;
    const answered = (result: CallResult): PullRequestAnswer =>
      result.kind === 'sent'
        ? { kind: 'found', pullRequest: pullRequestOf(result.answer, 'number', 'html_url') }
        : result.kind === 'refused'
          ? { kind: 'refused', error: result.error }
          : result;
    const text = { title: pull.title, body: pull.body };
    return openOrUpdatePullRequest({
      async findOpen() {
        // `head` is `owner:branch`: the branch is in the repository itself.
        const head = encodeURIComponent(`${decodeURIComponent(owner)}:${pull.head}`);
        const listed = await call(
          'GET',
          `${pulls}?state=open&head=${head}&base=${encodeURIComponent(pull.base)}&per_page=100`,
          undefined,
        );
        if (listed.kind !== 'sent') return answered(listed);
        const [first] = Array.isArray(listed.answer) ? (listed.answer as unknown[]) : [];
        return { kind: 'found', pullRequest: pullRequestOf(first, 'number', 'html_url') };
      },
      create: async () =>
        answered(await call('POST', pulls, { ...text, head: pull.head, base: pull.base })),
      update: async (number) =>
        answered(await call('PATCH', `${pulls}/${encodeURIComponent(number)}`, text)),
    });
  }
  return { kind: 'refused', error: `unknown outbox kind ${kind}` };
}

/** Pages of 100 looked through for an unrecorded linkback comment: 3,000 comments. */
const MAX_COMMENT_PAGES = 30;

/** The first comment on the PR whose body starts with the linkback marker, if any. */
async function findLinkback(
  call: (method: string, path: string, body: unknown) => Promise<CallResult>,
  owner: string,
  repo: string,
  number: number,
): Promise<{ kind: 'found'; id: string | null } | SendResult> {
  for (let page = 1; page <= MAX_COMMENT_PAGES; page += 1) {
    const listed = await call(
      'GET',
      `/repos/${owner}/${repo}/issues/${number}/comments?per_page=100&page=${page}`,
      undefined,
    );
    if (listed.kind !== 'sent') return withoutStatus(listed);
    const comments = Array.isArray(listed.answer) ? (listed.answer as unknown[]) : [];
    for (const item of comments) {
      const { id, body } = (item ?? {}) as { id?: unknown; body?: unknown };
      if (typeof body === 'string' && body.startsWith(LINKBACK_MARKER) && id !== undefined)
        return { kind: 'found', id: String(id) };
    }
    if (comments.length < 100) break;
  }
  return { kind: 'found', id: null };
}

type CallResult =
  | { kind: 'sent'; remoteId: string | null; answer: unknown }
  | { kind: 'retry'; error: string; hints: ForgeBackoffHints }
  | { kind: 'limited'; error: string; hints: ForgeBackoffHints }
  | { kind: 'refused'; error: string; status: number };

function withoutStatus(result: CallResult): SendResult {
  if (result.kind === 'sent') return { kind: 'sent', remoteId: result.remoteId };
  return result.kind === 'refused' ? { kind: 'refused', error: result.error } : result;
}

/** A credential GitHub would not give: retried unless it can never work (another 4xx). */
function credentialFailure(error: unknown): SendResult {
  if (!(error instanceof GithubCredentialError))
    return { kind: 'retry', error: `credentials: ${(error as Error).message}`, hints: NO_HINTS };
  const hints: ForgeBackoffHints = {
    retryAfter: error.headers['retry-after'] ?? null,
    rateLimitRemaining: error.headers['x-ratelimit-remaining'] ?? null,
    rateLimitReset: error.headers['x-ratelimit-reset'] ?? null,
  };
  if (error.status === 429 || (error.status === 403 && hints.rateLimitRemaining?.trim() === '0'))
    return { kind: 'limited', error: error.message, hints };
  if (error.status === 0 || error.status >= 500)
    return { kind: 'retry', error: error.message, hints };
  return { kind: 'refused', error: error.message };
}

const NO_HINTS: ForgeBackoffHints = {
  retryAfter: null,
  rateLimitRemaining: null,
  rateLimitReset: null,
};

async function callGithub(
  forge: ForgeConfig,
  authorization: string,
  method: string,
  path: string,
  body: unknown,
  fetchImpl: FetchLike,
): Promise<CallResult> {
  let response: Response;
  try {
    response = await fetchImpl(`${forge.apiUrl}${path}`, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        'user-agent': 'storyflow',
        'x-github-api-version': '2022-11-28',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
  } catch (error) {
    return { kind: 'retry', error: `${method} ${path}: ${describeError(error)}`, hints: NO_HINTS };
  }
  const text = await response.text().catch(() => '');
  if (response.ok) {
    const answer = parse(text);
    const id = (answer as { id?: unknown } | null)?.id;
    return {
      kind: 'sent',
      remoteId: typeof id === 'number' || typeof id === 'string' ? String(id) : null,
      answer,
    };
  }
  const hints: ForgeBackoffHints = {
    retryAfter: response.headers.get('retry-after'),
    rateLimitRemaining: response.headers.get('x-ratelimit-remaining'),
    rateLimitReset: response.headers.get('x-ratelimit-reset'),
  };
  const message = (parse(text) as { message?: unknown } | null)?.message;
  const error =
    `${method} ${path}: ${response.status}` +
    (typeof message === 'string' ? ` ${message.slice(0, 300)}` : '');
  // GitHub's primary limit (remaining 0) and secondary limits (Retry-After, or only the
  // documented message) answer 403 or 429:
  // https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
  const limited =
    response.status === 429 ||
    (response.status === 403 &&
      (hints.retryAfter !== null ||
        hints.rateLimitRemaining?.trim() === '0' ||
        (typeof message === 'string' && /rate limit/i.test(message))));
  if (limited) return { kind: 'limited', error, hints };
  if (response.status >= 500) return { kind: 'retry', error, hints };
  return { kind: 'refused', error, status: response.status };
}

function splitRepository(repository: string): [string, string] {
  const [owner = '', repo = ''] = repository.split('/');
  return [encodeURIComponent(owner), encodeURIComponent(repo)];
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function describeError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  if ((error as Error | null)?.name === 'TimeoutError')
    return `no answer within ${CALL_TIMEOUT_MS / 1000}s`;
  return cause?.code ?? (error as Error).message ?? 'network error';
}
