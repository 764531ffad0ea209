// The calls the reconciliation makes to GitHub's REST API for webhooks, with plain fetch
// (docs/forge-feedback.md, "Missed deliveries"). Repository webhooks:
//   GET  /repos/{owner}/{repo}/hooks
//        https://docs.github.com/en/rest/repos/webhooks#list-repository-webhooks
//   GET  /repos/{owner}/{repo}/hooks/{hook_id}/deliveries?per_page=&cursor=
//        https://docs.github.com/en/rest/repos/webhooks#list-deliveries-for-a-repository-webhook
//   POST /repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}/attempts
//        https://docs.github.com/en/rest/repos/webhooks#redeliver-a-delivery-for-a-repository-webhook
// Organization webhooks (an `owner:` entry), the same three under /orgs/{org}/hooks:
//        https://docs.github.com/en/rest/orgs/webhooks
// A GitHub App's webhook (an `app:` entry), with the app's JWT rather than an installation token:
//   GET  /app/hook/deliveries, POST /app/hook/deliveries/{delivery_id}/attempts
//        https://docs.github.com/en/rest/apps/webhooks
// The answers' shapes are GitHub's examples in test/fixtures/github-hook-deliveries/ and the
// OpenAPI description's (test/fixtures/github-openapi/).
// A call that gets no answer, a 5xx or a 429 is tried again a few times, after what Retry-After
// asks or else an exponential backoff with jitter, before it fails the repository's check.
import type { ForgeConfig } from '../../config/config.js';
import { askedDelay } from '../../domain/outbox/next-send-delay.js';
import type { FetchLike } from '../outbox/forge-client.js';
import { githubCredentialsOf } from '../outbox/github-credentials.js';

/** A repository webhook, as much of it as the reconciliation needs. */
export interface RepositoryHook {
  id: number;
  /** Where it posts (`config.url`); null when GitHub does not say. */
  url: string | null;
  active: boolean;
}

/** One attempt GitHub made to deliver an event to a hook (`hook-delivery-item`). */
export interface HookDelivery {
  /** The attempt's id, for a redelivery. */
  id: number;
  /** The event's id, sent as X-GitHub-Delivery: the same for every attempt of one event. */
  guid: string;
  deliveredAt: string;
  /** `OK`, or what went wrong (`failed to connect`, `Invalid HTTP Response: 503`). */
  status: string;
  statusCode: number;
  event: string;
  redelivery: boolean;
}

/** What the reconciliation asks a forge: a fake stands in for it in tests. */
export interface HookDeliveriesClient {
  listHooks(repository: string): Promise<RepositoryHook[]>;
  /** The hook's deliveries at or after `since`, newest first, following the pages. */
  listDeliveries(repository: string, hookId: number, since: Date): Promise<HookDelivery[]>;
  redeliver(repository: string, hookId: number, deliveryId: number): Promise<void>;
  /** An organization's webhooks; none when `org` is a user (GitHub answers 404). */
  listOrgHooks?(org: string): Promise<RepositoryHook[]>;
  listOrgDeliveries?(org: string, hookId: number, since: Date): Promise<HookDelivery[]>;
  redeliverOrg?(org: string, hookId: number, deliveryId: number): Promise<void>;
  /** The GitHub App's own webhook (an `app:` entry). */
  listAppDeliveries?(since: Date): Promise<HookDelivery[]>;
  redeliverApp?(deliveryId: number): Promise<void>;
}

/** A call GitHub refused or that did not get an answer; the message names the call. */
export class GithubCallError extends Error {
  override name = 'GithubCallError';
  /** GitHub's answer's status; 0 when there was none. */
  constructor(
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 30_000;

/** How a call that failed for a passing reason is tried again. */
export interface HookCallRetry {
  /** Tries after the first (default 3). */
  retries: number;
  /** The first backoff; each next one doubles (default 1 s), ±20 % jitter. */
  baseMs: number;
  /** The longest wait, asked by Retry-After or not (default 30 s); a longer ask fails at once. */
  maxMs: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** In [0, 1), for the jitter. */
  random: () => number;
}

export const DEFAULT_HOOK_CALL_RETRY: HookCallRetry = {
  retries: 3,
  baseMs: 1000,
  maxMs: 30_000,
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
  random: Math.random,
};
const PER_PAGE = 100;
/** 10,000 deliveries per hook and run at most: past that, narrow `since`. */
const MAX_PAGES = 100;

export class GithubHookDeliveries implements HookDeliveriesClient {
  constructor(
    private readonly forge: Pick<ForgeConfig, 'apiUrl' | 'token' | 'app'>,
    private readonly fetchImpl: FetchLike = fetch,
    /** Aborts every call (the server is stopping). */
    private readonly signal?: AbortSignal,
    retry: Partial<HookCallRetry> = {},
  ) {
    this.retry = { ...DEFAULT_HOOK_CALL_RETRY, ...retry };
  }

  private readonly retry: HookCallRetry;

  async listHooks(repository: string): Promise<RepositoryHook[]> {
    const { body } = await this.call(
      'GET',
      `${repoPath(repository)}/hooks?per_page=${PER_PAGE}`,
      repository,
    );
    return hooksOf(body, `GET ${repository} hooks`);
  }

  listDeliveries(repository: string, hookId: number, since: Date): Promise<HookDelivery[]> {
    return this.walkDeliveries(
      `${repoPath(repository)}/hooks/${hookId}/deliveries`,
      `${repository} hook ${hookId}`,
      since,
      repository,
    );
  }

  async redeliver(repository: string, hookId: number, deliveryId: number): Promise<void> {
    await this.call(
      'POST',
      `${repoPath(repository)}/hooks/${hookId}/deliveries/${deliveryId}/attempts`,
      repository,
    );
  }

  async listOrgHooks(org: string): Promise<RepositoryHook[]> {
    try {
      const { body } = await this.call('GET', `${orgPath(org)}/hooks?per_page=${PER_PAGE}`, org);
      return hooksOf(body, `GET organization ${org} hooks`);
    } catch (error) {
      // A user account has no organization webhooks.
      if (error instanceof GithubCallError && error.status === 404) return [];
      throw error;
    }
  }

  listOrgDeliveries(org: string, hookId: number, since: Date): Promise<HookDelivery[]> {
    return this.walkDeliveries(
      `${orgPath(org)}/hooks/${hookId}/deliveries`,
      `organization ${org} hook ${hookId}`,
      since,
      org,
    );
  }

  async redeliverOrg(org: string, hookId: number, deliveryId: number): Promise<void> {
    await this.call(
      'POST',
      `${orgPath(org)}/hooks/${hookId}/deliveries/${deliveryId}/attempts`,
      org,
    );
  }

  listAppDeliveries(since: Date): Promise<HookDelivery[]> {
    return this.walkDeliveries('/app/hook/deliveries', 'the GitHub App hook', since, null);
  }

  async redeliverApp(deliveryId: number): Promise<void> {
    await this.call('POST', `/app/hook/deliveries/${deliveryId}/attempts`, null);
  }

  /** Pages through a hook's deliveries (newest first) back to `since`. */
  private async walkDeliveries(
    path: string,
    label: string,
    since: Date,
    about: string | null,
  ): Promise<HookDelivery[]> {
    const deliveries: HookDelivery[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const query = new URLSearchParams({ per_page: String(PER_PAGE) });
      if (cursor !== null) query.set('cursor', cursor);
      const { body, link } = await this.call('GET', `${path}?${query}`, about);
      if (!Array.isArray(body)) throw new GithubCallError(`GET ${label} deliveries: not a list`);
      let older = false;
      for (const item of body as Record<string, unknown>[]) {
        const delivery = hookDelivery(item);
        // Newest first: the first one before `since` ends the walk.
        if (Date.parse(delivery.deliveredAt) < since.getTime()) older = true;
        else deliveries.push(delivery);
      }
      cursor = nextCursor(link);
      if (older || cursor === null || body.length === 0) return deliveries;
    }
    throw new GithubCallError(
      `${label} has more than ${MAX_PAGES * PER_PAGE} deliveries since ` +
        `${since.toISOString()}: reconcile a shorter time`,
    );
  }

  /**
   * `about`: the repository or owner the call is about (its installation's token, or the token);
   * null: the app's own route, called with its JWT.
   */
  private async call(
    method: string,
    path: string,
    about: string | null,
  ): Promise<{ body: unknown; link: string | null }> {
    for (let attempt = 0; ; attempt += 1) {
      const outcome = await this.callOnce(method, path, about);
      if (!('error' in outcome)) return outcome;
      const wait = this.backoff(attempt, outcome.retryAfter);
      if (!outcome.passing || wait === undefined || this.signal?.aborted)
        throw new GithubCallError(
          attempt === 0 ? outcome.error : `${outcome.error} (after ${attempt + 1} attempts)`,
          outcome.status,
        );
      await this.retry.sleep(wait, this.signal);
      if (this.signal?.aborted)
        throw new GithubCallError(
          `${method} ${pathOnly(path)}: stopped: the server is shutting down`,
        );
    }
  }

  /** The wait before try `attempt + 2`, or undefined when no more tries are worth it. */
  private backoff(attempt: number, retryAfter: string | null): number | undefined {
    if (attempt >= this.retry.retries) return undefined;
    const asked = askedDelay(
      { retryAfter, rateLimitRemaining: null, rateLimitReset: null },
      new Date(),
    );
    if (asked !== undefined) return asked <= this.retry.maxMs ? asked : undefined;
    const base = Math.min(this.retry.baseMs * 2 ** attempt, this.retry.maxMs);
    return Math.round(base * (0.8 + 0.4 * this.retry.random()));
  }

  private async callOnce(
    method: string,
    path: string,
    about: string | null,
  ): Promise<
    | { body: unknown; link: string | null }
    | { error: string; passing: boolean; retryAfter: string | null; status: number }
  > {
    let response: Response;
    try {
      const credentials = githubCredentialsOf(this.forge, this.fetchImpl);
      const authorization =
        about === null
          ? await credentials.appAuthorization()
          : await credentials.authorization(about);
      response = await this.fetchImpl(`${this.forge.apiUrl}${path}`, {
        method,
        headers: {
          accept: 'application/vnd.github+json',
          authorization,
          'user-agent': 'storyflow',
          'x-github-api-version': '2022-11-28',
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
      return {
        error: `${method} ${pathOnly(path)}: ${reason}`,
        passing: this.signal?.aborted !== true,
        retryAfter: null,
        status: 0,
      };
    }
    const text = await response.text().catch(() => '');
    const body = parse(text);
    if (!response.ok) {
      const message = (body as { message?: unknown } | null)?.message;
      return {
        error:
          `${method} ${pathOnly(path)}: ${response.status}` +
          (typeof message === 'string' ? ` ${message.slice(0, 300)}` : ''),
        passing: response.status >= 500 || response.status === 429,
        retryAfter: response.headers.get('retry-after'),
        status: response.status,
      };
    }
    return { body, link: response.headers.get('link') };
  }
}

function hooksOf(body: unknown, label: string): RepositoryHook[] {
  if (!Array.isArray(body)) throw new GithubCallError(`${label}: not a list`);
  return body.map((hook: { id?: unknown; active?: unknown; config?: { url?: unknown } }) => ({
    id: Number(hook.id),
    url: typeof hook.config?.url === 'string' ? hook.config.url : null,
    active: hook.active !== false,
  }));
}

function hookDelivery(item: Record<string, unknown>): HookDelivery {
  return {
    id: Number(item.id),
    guid: String(item.guid ?? ''),
    deliveredAt: String(item.delivered_at ?? ''),
    status: String(item.status ?? ''),
    statusCode: Number(item.status_code ?? 0),
    event: String(item.event ?? ''),
    redelivery: item.redelivery === true,
  };
}

/** The `cursor` of the Link header's rel="next" URL (GitHub's cursor pagination), if any. */
export function nextCursor(link: string | null): string | null {
  if (link === null) return null;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match === null) continue;
    try {
      return new URL(match[1] as string).searchParams.get('cursor');
    } catch {
      return null;
    }
  }
  return null;
}

function repoPath(repository: string): string {
  const [owner = '', repo = ''] = repository.split('/');
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
}

function orgPath(org: string): string {
  return `/orgs/${encodeURIComponent(org)}`;
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
