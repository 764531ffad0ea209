// The calls storyflow makes to GitHub's REST API, with plain fetch (three endpoints do not need
// @octokit/core): what each outbox kind sends, and how the answer is classified.
//   POST  /repos/{owner}/{repo}/issues/{issue_number}/comments
//         https://docs.github.com/en/rest/issues/comments#create-an-issue-comment
//   PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}
//         https://docs.github.com/en/rest/issues/comments#update-an-issue-comment
//   POST  /repos/{owner}/{repo}/statuses/{sha}
//         https://docs.github.com/en/rest/commits/statuses#create-a-commit-status
//   GET   /repos/{owner}/{repo}/issues/{issue_number}/comments?per_page=100&page=
//         https://docs.github.com/en/rest/issues/comments#list-issue-comments
//         (only for a comment whose create is in doubt: to find it rather than post a second)
import type { ForgeConfig } from '../../config/config.js';
import { LINKBACK_MARKER } from '../../domain/outbox/linkback-comment.js';
import type { ForgeBackoffHints } from '../../domain/outbox/next-send-delay.js';
import {
  CALL_TIMEOUT_MS,
  type CommentPayload,
  type FetchLike,
  type ForgeClient,
  type SendOptions,
  type SendResult,
  type StatusPayload,
} from './forge-client.js';

export const githubClient: ForgeClient = { send: sendToGithub };

export async function sendToGithub(
  forge: ForgeConfig,
  kind: string,
  payload: unknown,
  remoteId: string | null,
  fetchImpl: FetchLike = fetch,
  options: SendOptions = {},
): Promise<SendResult> {
  if (kind === 'comment') {
    const comment = payload as CommentPayload;
    const [owner, repo] = splitRepository(comment.repository);
    let commentId = remoteId;
    // An earlier create may have reached GitHub unrecorded: adopt that comment if it is there.
    if (commentId === null && options.createInDoubt === true) {
      const found = await findLinkback(forge, owner, repo, comment.number, fetchImpl);
      if (found.kind !== 'found') return found;
      commentId = found.id;
    }
    if (commentId !== null) {
      const edited = await call(
        forge,
        'PATCH',
        `/repos/${owner}/${repo}/issues/comments/${encodeURIComponent(commentId)}`,
        { body: comment.body },
        fetchImpl,
      );
      // Deleted by someone: create it again.
      if (!(edited.kind === 'refused' && edited.status === 404)) return withoutStatus(edited);
    }
    const created = await call(
      forge,
      'POST',
      `/repos/${owner}/${repo}/issues/${comment.number}/comments`,
      { body: comment.body },
      fetchImpl,
    );
    return withoutStatus(created);
  }
  if (kind === 'status') {
    const status = payload as StatusPayload;
    const [owner, repo] = splitRepository(status.repository);
    const answer = await call(
      forge,
      'POST',
      `/repos/${owner}/${repo}/statuses/${encodeURIComponent(status.sha)}`,
      {
        state: status.state,
        context: status.context,
        description: status.description.slice(0, 140),
        ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
      },
      fetchImpl,
    );
    const result = withoutStatus(answer);
    return result.kind === 'sent' ? { kind: 'sent', remoteId: null } : result;
  }
  return { kind: 'refused', error: `unknown outbox kind ${kind}` };
}

/** Pages of 100 looked through for an unrecorded linkback comment: 3,000 comments. */
const MAX_COMMENT_PAGES = 30;

/** The first comment on the PR whose body starts with the linkback marker, if any. */
async function findLinkback(
  forge: ForgeConfig,
  owner: string,
  repo: string,
  number: number,
  fetchImpl: FetchLike,
): Promise<{ kind: 'found'; id: string | null } | SendResult> {
  for (let page = 1; page <= MAX_COMMENT_PAGES; page += 1) {
    const listed = await call(
      forge,
      'GET',
      `/repos/${owner}/${repo}/issues/${number}/comments?per_page=100&page=${page}`,
      undefined,
      fetchImpl,
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

async function call(
  forge: ForgeConfig,
  method: string,
  path: string,
  body: unknown,
  fetchImpl: FetchLike,
): Promise<CallResult> {
  const none: ForgeBackoffHints = {
    retryAfter: null,
    rateLimitRemaining: null,
    rateLimitReset: null,
  };
  let response: Response;
  try {
    response = await fetchImpl(`${forge.apiUrl}${path}`, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${forge.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        'user-agent': 'storyflow',
        'x-github-api-version': '2022-11-28',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
  } catch (error) {
    return { kind: 'retry', error: `${method} ${path}: ${describeError(error)}`, hints: none };
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
