// The calls storyflow makes to GitLab's REST API (v4), with plain fetch: @gitbeaker/rest would
// bring a whole SDK for three endpoints whose requests and answers are a few fields each. `:id` is
// the project's path URL-encoded (`group%2Fsub%2Fproject`), as GitLab's docs allow.
//   POST /projects/:id/merge_requests/:merge_request_iid/notes
//   PUT  /projects/:id/merge_requests/:merge_request_iid/notes/:note_id
//        https://docs.gitlab.com/api/notes/#create-new-merge-request-note (and #modify-existing-merge-request-note)
//   POST /projects/:id/statuses/:sha
//        https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit
//   GET  /projects/:id/merge_requests?state=opened&source_branch=…&target_branch=…
//   POST /projects/:id/merge_requests
//   PUT  /projects/:id/merge_requests/:merge_request_iid
//        https://docs.gitlab.com/api/merge_requests/ (the updates branch's merge request)
// The token (a project or group access token, or a personal one, with the `api` scope) goes in
// PRIVATE-TOKEN. Rate limits answer 429 with Retry-After and RateLimit-Reset (a Unix time):
//   https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/#response-headers
import type { ForgeConfig } from '../../config/config.js';
import type { ForgeBackoffHints } from '../../domain/outbox/next-send-delay.js';
import {
  CALL_TIMEOUT_MS,
  type CommentPayload,
  type FetchLike,
  type ForgeClient,
  type PullRequestPayload,
  type SendResult,
  type StatusPayload,
} from './forge-client.js';
import {
  openOrUpdatePullRequest,
  type PullRequestAnswer,
  pullRequestOf,
} from './pull-request-call.js';

export const gitlabClient: ForgeClient = { send: sendToGitlab };

/** GitLab's commit status states for storyflow's (GitLab has no `error`: it is `failed`). */
const GITLAB_STATE: Readonly<Record<StatusPayload['state'], string>> = {
  success: 'success',
  failure: 'failed',
  error: 'failed',
  pending: 'pending',
};

/** GitLab bounds a status's description and target_url to 255 characters. */
const STATUS_TEXT_MAX = 255;

export async function sendToGitlab(
  forge: ForgeConfig,
  kind: string,
  payload: unknown,
  remoteId: string | null,
  fetchImpl: FetchLike = fetch,
): Promise<SendResult> {
  if (kind === 'comment') {
    const comment = payload as CommentPayload;
    const notes = `${projectPath(comment.repository)}/merge_requests/${comment.number}/notes`;
    if (remoteId !== null) {
      const edited = await call(
        forge,
        'PUT',
        `${notes}/${encodeURIComponent(remoteId)}`,
        { body: comment.body },
        fetchImpl,
      );
      // Deleted by someone: create it again.
      if (!(edited.kind === 'refused' && edited.status === 404)) return withoutStatus(edited);
    }
    return withoutStatus(await call(forge, 'POST', notes, { body: comment.body }, fetchImpl));
  }
  if (kind === 'status') {
    const status = payload as StatusPayload;
    const state = GITLAB_STATE[status.state] ?? 'failed';
    const answer = await call(
      forge,
      'POST',
      `${projectPath(status.repository)}/statuses/${encodeURIComponent(status.sha)}`,
      {
        state,
        name: status.context,
        description: clip(status.description, STATUS_TEXT_MAX),
        ...(status.targetUrl === undefined || status.targetUrl.length > STATUS_TEXT_MAX
          ? {}
          : { target_url: status.targetUrl }),
      },
      fetchImpl,
    );
    // GitLab refuses to set a pending (or running) status to the state it already has ("Cannot
    // transition status via :enqueue from :pending"): the commit already says what was wanted.
    if (answer.kind === 'refused' && answer.status === 400 && answer.sameState === true)
      return { kind: 'sent', remoteId: null };
    const result = withoutStatus(answer);
    return result.kind === 'sent' ? { kind: 'sent', remoteId: null } : result;
  }
  if (kind === 'pull-request')
    return sendMergeRequest(forge, payload as PullRequestPayload, fetchImpl);
  return { kind: 'refused', error: `unknown outbox kind ${kind}` };
}

/** GitLab bounds a merge request's title to 255 characters, its description to 1,048,576. */
const TITLE_MAX = 255;

function sendMergeRequest(
  forge: ForgeConfig,
  pull: PullRequestPayload,
  fetchImpl: FetchLike,
): Promise<SendResult> {
  const requests = `${projectPath(pull.repository)}/merge_requests`;
  const answered = (result: CallResult): PullRequestAnswer =>
    result.kind === 'sent'
      ? { kind: 'found', pullRequest: pullRequestOf(result.answer, 'iid', 'web_url') }
      : result.kind === 'refused'
        ? { kind: 'refused', error: result.error }
        : result;
  const text = { title: clip(pull.title, TITLE_MAX), description: pull.body };
  return openOrUpdatePullRequest({
    async findOpen() {
      const query = new URLSearchParams({
        state: 'opened',
        source_branch: pull.head,
        target_branch: pull.base,
      });
      const listed = await call(forge, 'GET', `${requests}?${query}`, undefined, fetchImpl);
      if (listed.kind !== 'sent') return answered(listed);
      const [first] = Array.isArray(listed.answer) ? (listed.answer as unknown[]) : [];
      return { kind: 'found', pullRequest: pullRequestOf(first, 'iid', 'web_url') };
    },
    create: async () =>
      answered(
        await call(
          forge,
          'POST',
          requests,
          { ...text, source_branch: pull.head, target_branch: pull.base },
          fetchImpl,
        ),
      ),
    update: async (iid) =>
      answered(await call(forge, 'PUT', `${requests}/${encodeURIComponent(iid)}`, text, fetchImpl)),
  });
}

type CallResult =
  | { kind: 'sent'; remoteId: string | null; answer: unknown }
  | { kind: 'retry'; error: string; hints: ForgeBackoffHints }
  | { kind: 'limited'; error: string; hints: ForgeBackoffHints }
  | { kind: 'refused'; error: string; status: number; sameState: boolean };

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
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        'private-token': forge.token ?? '',
        'user-agent': 'storyflow',
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
  const reset = response.headers.get('ratelimit-reset');
  const hints: ForgeBackoffHints = {
    retryAfter: response.headers.get('retry-after'),
    // A 429 is a spent limit even when GitLab leaves RateLimit-Remaining out.
    rateLimitRemaining:
      response.headers.get('ratelimit-remaining') ??
      (response.status === 429 && reset !== null ? '0' : null),
    rateLimitReset: reset,
  };
  const message = messageOf(parse(text));
  const error =
    `${method} ${path}: ${response.status}` +
    (message === undefined ? '' : ` ${message.slice(0, 300)}`);
  if (response.status === 429) return { kind: 'limited', error, hints };
  if (response.status >= 500) return { kind: 'retry', error, hints };
  const sameState =
    message !== undefined &&
    /Cannot transition status via :(enqueue|run) from :(pending|running)\b/.test(message);
  return { kind: 'refused', error, status: response.status, sameState };
}

/** The project's path as GitLab's `:id` takes it: URL-encoded, slashes included. */
function projectPath(repository: string): string {
  return `/projects/${encodeURIComponent(repository)}`;
}

/** GitLab's error body: `{"message": "…"}`, `{"message": {"field": ["…"]}}` or `{"error": "…"}`. */
function messageOf(body: unknown): string | undefined {
  const { message, error } = (body ?? {}) as { message?: unknown; error?: unknown };
  if (typeof message === 'string') return message;
  if (message !== undefined && message !== null) return JSON.stringify(message);
  return typeof error === 'string' ? error : undefined;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
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
