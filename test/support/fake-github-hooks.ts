// Repository webhooks and their deliveries in the fake GitHub (fake-github.ts), for the
// reconciliation tests: lists hooks and deliveries as GitHub does (shapes from
// test/fixtures/github-hook-deliveries/, newest first, `per_page` and `cursor` pages with a Link
// header), and a redelivery request really delivers: the payload is posted, signed with the hook's
// secret, to the hook's URL, and the attempt is listed with the status it got.
//   https://docs.github.com/en/rest/repos/webhooks#list-repository-webhooks
//   https://docs.github.com/en/rest/repos/webhooks#list-deliveries-for-a-repository-webhook
//   https://docs.github.com/en/rest/repos/webhooks#redeliver-a-delivery-for-a-repository-webhook
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

const FIXTURES = new URL('../fixtures/github-hook-deliveries/', import.meta.url);
const HOOK_TEMPLATE = JSON.parse(readFileSync(new URL('hooks.json', FIXTURES), 'utf8'))[0];
const DELIVERY_TEMPLATE = JSON.parse(readFileSync(new URL('deliveries.json', FIXTURES), 'utf8'))[0];

export interface FakeHook {
  id: number;
  repository: string;
  /** Where it posts (config.url). */
  url: string;
  /** Signs what it posts (X-Hub-Signature-256). */
  secret: string;
}

export interface FakeHookDelivery {
  id: number;
  hookId: number;
  guid: string;
  event: string;
  deliveredAt: string;
  statusCode: number;
  status: string;
  redelivery: boolean;
  /** The body GitHub posts (and posts again on a redelivery). */
  payload: unknown;
}

export interface FakeHookDeliveries {
  hooks: FakeHook[];
  /** Every attempt, in the order they were made. */
  deliveries: FakeHookDelivery[];
  /** Redelivery requests GitHub accepted: the attempt ids asked for. */
  redeliveryRequests: number[];
  /** Records an attempt GitHub made (without posting anything); answers its id. */
  recordDelivery(delivery: Omit<FakeHookDelivery, 'id' | 'redelivery'>): number;
  /** Resolves once every redelivery asked for so far has been posted. */
  settled(): Promise<void>;
  /** Answers a hooks request, or undefined when `path` is not one. */
  handle(method: string, path: string, baseUrl: string): Promise<HookAnswer | undefined>;
}

export interface HookAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export function fakeHookDeliveries(): FakeHookDeliveries {
  let nextId = 9_000_000;
  const posting: Promise<void>[] = [];
  const state: FakeHookDeliveries = {
    hooks: [],
    deliveries: [],
    redeliveryRequests: [],
    recordDelivery(delivery) {
      const id = nextId++;
      state.deliveries.push({ ...delivery, id, redelivery: false });
      return id;
    },
    async settled() {
      await Promise.all(posting);
    },
    async handle(method, path, baseUrl) {
      const url = new URL(path, 'http://fake');
      const hooks = /^\/repos\/([^/]+)\/([^/]+)\/hooks$/.exec(url.pathname);
      const list = /^\/repos\/([^/]+)\/([^/]+)\/hooks\/(\d+)\/deliveries$/.exec(url.pathname);
      const attempt = /^\/repos\/([^/]+)\/([^/]+)\/hooks\/(\d+)\/deliveries\/(\d+)\/attempts$/.exec(
        url.pathname,
      );
      if (hooks && method === 'GET') {
        const repository = `${hooks[1]}/${hooks[2]}`;
        return {
          status: 200,
          body: state.hooks
            .filter((hook) => hook.repository === repository)
            .map((hook) => ({
              ...HOOK_TEMPLATE,
              id: hook.id,
              config: { ...HOOK_TEMPLATE.config, url: hook.url },
              url: `${baseUrl}/repos/${repository}/hooks/${hook.id}`,
            })),
        };
      }
      if (list && method === 'GET') {
        const hook = hookOf(`${list[1]}/${list[2]}`, Number(list[3]));
        if (hook === undefined) return { status: 404, body: { message: 'Not Found' } };
        const perPage = Number(url.searchParams.get('per_page') ?? 30);
        if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100)
          return { status: 422, body: { message: 'per_page must be from 1 to 100' } };
        // Newest first, as GitHub lists them.
        const all = state.deliveries
          .filter((delivery) => delivery.hookId === hook.id)
          .sort((a, b) => b.deliveredAt.localeCompare(a.deliveredAt) || b.id - a.id);
        const cursor = url.searchParams.get('cursor');
        const start =
          cursor === null ? 0 : all.findIndex((delivery) => `v1_${delivery.id}` === cursor);
        if (start < 0) return { status: 400, body: { message: 'Bad cursor' } };
        const page = all.slice(start, start + perPage);
        const next = all[start + perPage];
        return {
          status: 200,
          body: page.map((delivery) => ({
            ...DELIVERY_TEMPLATE,
            id: delivery.id,
            guid: delivery.guid,
            delivered_at: delivery.deliveredAt,
            redelivery: delivery.redelivery,
            status: delivery.status,
            status_code: delivery.statusCode,
            event: delivery.event,
            action: (delivery.payload as { action?: string } | null)?.action ?? null,
            throttled_at: null,
          })),
          // GitHub's next link names the repository by id; only its cursor is meant to be reused.
          headers:
            next === undefined
              ? ({} as Record<string, string>)
              : {
                  link: `<${baseUrl}/repositories/456/hooks/${hook.id}/deliveries?per_page=${perPage}&cursor=v1_${next.id}>; rel="next"`,
                },
        };
      }
      if (attempt && method === 'POST') {
        const hook = hookOf(`${attempt[1]}/${attempt[2]}`, Number(attempt[3]));
        const original = state.deliveries.find(
          (delivery) => delivery.id === Number(attempt[4]) && delivery.hookId === hook?.id,
        );
        if (hook === undefined || original === undefined)
          return { status: 404, body: { message: 'Not Found' } };
        state.redeliveryRequests.push(original.id);
        // GitHub answers 202 and delivers afterwards.
        posting.push(redeliver(hook, original));
        return { status: 202, body: {} };
      }
      return undefined;
    },
  };

  function hookOf(repository: string, id: number): FakeHook | undefined {
    return state.hooks.find((hook) => hook.repository === repository && hook.id === id);
  }

  async function redeliver(hook: FakeHook, original: FakeHookDelivery): Promise<void> {
    const body = JSON.stringify(original.payload);
    let statusCode = 0;
    let status = 'failed to connect';
    try {
      const response = await fetch(hook.url, {
        method: 'POST',
        headers: {
          accept: '*/*',
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/fake',
          'x-github-event': original.event,
          'x-github-delivery': original.guid,
          'x-github-hook-id': String(hook.id),
          'x-hub-signature-256': `sha256=${createHmac('sha256', hook.secret).update(body).digest('hex')}`,
        },
        body,
      });
      await response.arrayBuffer();
      statusCode = response.status;
      status = response.ok ? 'OK' : `Invalid HTTP Response: ${response.status}`;
    } catch {
      // Left as "failed to connect".
    }
    state.deliveries.push({
      ...original,
      id: nextId++,
      deliveredAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      statusCode,
      status,
      redelivery: true,
    });
  }

  return state;
}
