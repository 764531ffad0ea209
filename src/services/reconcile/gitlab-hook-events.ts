// The calls the reconciliation makes to GitLab's REST API for project and group webhooks, with
// plain fetch (docs/forge-feedback.md, "Missed deliveries"). `:id` is the URL-encoded path.
//   GET  /projects/:id/hooks            https://docs.gitlab.com/api/project_webhooks/#list-webhooks-for-a-project
//   GET  /projects/:id/hooks/:hook_id/events?page=&per_page=20   (GitLab 17.3+; 20 at most a page)
//        https://docs.gitlab.com/api/project_webhooks/#get-a-list-of-project-webhook-events
//   POST /projects/:id/hooks/:hook_id/events/:hook_event_id/resend   (GitLab 17.4+)
//        https://docs.gitlab.com/api/project_webhooks/#resend-a-project-webhook-event
// and the same under /groups/:id for a group's hooks (docs/api/group_webhooks.md). The answers'
// shapes are GitLab's examples in test/fixtures/gitlab-api/.
import type { ForgeConfig } from '../../config/config.js';
import type { FetchLike } from '../outbox/forge-client.js';

/** Whose hooks: a project's (`group/project`) or a group's (`group/subgroup`). */
export interface HookParent {
  kind: 'projects' | 'groups';
  path: string;
}

export interface GitlabHook {
  id: number;
  url: string | null;
  /** False when GitLab has turned the hook off after failures (`alert_status: disabled`). */
  active: boolean;
}

/** One attempt GitLab made to deliver an event to a hook (a "webhook event"). */
export interface GitlabHookEvent {
  /** The attempt's id, for a resend. */
  id: number;
  /**
   * The ids storyflow may have stored the event under, in the order the inbox prefers them:
   * Idempotency-Key (the same for every attempt and resend of one event), X-Gitlab-Event-UUID,
   * webhook-id (signed deliveries).
   */
  deliveryIds: string[];
  /** X-Gitlab-Event, e.g. `Merge Request Hook`. */
  event: string;
  /** The receiver's answer as GitLab logs it: `200`, `502`, or `internal error`. */
  responseStatus: string;
  /** ISO time, or null when GitLab does not say. */
  createdAt: string | null;
}

export interface GitlabHookEventsClient {
  listHooks(parent: HookParent): Promise<GitlabHook[]>;
  /** The hook's events at or after `since` (GitLab keeps 7 days), following the pages. */
  listEvents(parent: HookParent, hookId: number, since: Date): Promise<GitlabHookEvent[]>;
  /** Resends one event; a `GitlabCallError` with `status` 429 when GitLab limits resends. */
  resend(parent: HookParent, hookId: number, eventId: number): Promise<void>;
}

/** A call GitLab refused or that did not get an answer; the message names the call. */
export class GitlabCallError extends Error {
  override name = 'GitlabCallError';
  constructor(
    message: string,
    /** GitLab's answer, or null without one. */
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 30_000;
/** GitLab's API caps the events endpoint at 20 a page. */
const PER_PAGE = 20;
/** 2,000 events per hook and run at most: past that, narrow `since`. */
const MAX_PAGES = 100;

export class GitlabHookEvents implements GitlabHookEventsClient {
  constructor(
    private readonly forge: Pick<ForgeConfig, 'apiUrl' | 'token'>,
    private readonly fetchImpl: FetchLike = fetch,
    /** Aborts every call (the server is stopping). */
    private readonly signal?: AbortSignal,
  ) {}

  async listHooks(parent: HookParent): Promise<GitlabHook[]> {
    const { body } = await this.call('GET', `${parentPath(parent)}/hooks?per_page=100`);
    if (!Array.isArray(body)) throw new GitlabCallError(`GET ${parent.path} hooks: not a list`);
    return body.map((hook: { id?: unknown; url?: unknown; alert_status?: unknown }) => ({
      id: Number(hook.id),
      url: typeof hook.url === 'string' ? hook.url : null,
      active: hook.alert_status !== 'disabled',
    }));
  }

  async listEvents(parent: HookParent, hookId: number, since: Date): Promise<GitlabHookEvent[]> {
    const events: GitlabHookEvent[] = [];
    let page = 1;
    for (let count = 0; count < MAX_PAGES; count += 1) {
      const { body, nextPage } = await this.call(
        'GET',
        `${parentPath(parent)}/hooks/${hookId}/events?per_page=${PER_PAGE}&page=${page}`,
      );
      if (!Array.isArray(body))
        throw new GitlabCallError(`GET ${parent.path} hook ${hookId} events: not a list`);
      let older = false;
      for (const item of body as Record<string, unknown>[]) {
        const event = hookEvent(item);
        // Newest first: the first one before `since` ends the walk.
        if (event.createdAt !== null && Date.parse(event.createdAt) < since.getTime()) older = true;
        else events.push(event);
      }
      if (older || nextPage === null || body.length === 0) return events;
      page = nextPage;
    }
    throw new GitlabCallError(
      `${parent.path} hook ${hookId} has more than ${MAX_PAGES * PER_PAGE} events since ` +
        `${since.toISOString()}: reconcile a shorter time`,
    );
  }

  async resend(parent: HookParent, hookId: number, eventId: number): Promise<void> {
    await this.call('POST', `${parentPath(parent)}/hooks/${hookId}/events/${eventId}/resend`);
  }

  private async call(
    method: string,
    path: string,
  ): Promise<{ body: unknown; nextPage: number | null }> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.forge.apiUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          'private-token': this.forge.token ?? '',
          'user-agent': 'storyflow',
        },
        signal:
          this.signal === undefined
            ? AbortSignal.timeout(TIMEOUT_MS)
            : AbortSignal.any([AbortSignal.timeout(TIMEOUT_MS), this.signal]),
      });
    } catch (error) {
      const reason =
        (error as Error | null)?.name === 'TimeoutError'
          ? `no answer within ${TIMEOUT_MS / 1000}s`
          : this.signal?.aborted
            ? 'stopped: the server is shutting down'
            : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
      throw new GitlabCallError(`${method} ${pathOnly(path)}: ${reason}`);
    }
    const text = await response.text().catch(() => '');
    const body = parse(text);
    if (!response.ok) {
      const message = (body as { message?: unknown } | null)?.message;
      throw new GitlabCallError(
        `${method} ${pathOnly(path)}: ${response.status}` +
          (typeof message === 'string' ? ` ${message.slice(0, 300)}` : ''),
        response.status,
      );
    }
    const next = Number(response.headers.get('x-next-page') ?? '');
    return { body, nextPage: Number.isSafeInteger(next) && next > 0 ? next : null };
  }
}

function hookEvent(item: Record<string, unknown>): GitlabHookEvent {
  const headers = lowerCased(item.request_headers);
  const deliveryIds = ['idempotency-key', 'x-gitlab-event-uuid', 'webhook-id']
    .map((name) => headers[name])
    .filter((value): value is string => typeof value === 'string' && value !== '');
  const createdAt = typeof item.created_at === 'string' ? item.created_at : null;
  return {
    id: Number(item.id),
    deliveryIds,
    event: typeof headers['x-gitlab-event'] === 'string' ? headers['x-gitlab-event'] : '',
    responseStatus: String(item.response_status ?? ''),
    createdAt: createdAt !== null && !Number.isNaN(Date.parse(createdAt)) ? createdAt : null,
  };
}

/** Whether GitLab's log of an attempt says the receiver answered 2xx. */
export function deliveredStatus(responseStatus: string): boolean {
  return /^2\d\d$/.test(responseStatus.trim());
}

function lowerCased(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, v]) => [key.toLowerCase(), v]),
  );
}

function parentPath(parent: HookParent): string {
  return `/${parent.kind}/${encodeURIComponent(parent.path)}`;
}

function pathOnly(path: string): string {
  return path.split('?')[0] as string;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
