// Repository webhooks, organization webhooks and a GitHub App's webhook, and their deliveries, in
// the fake GitHub (fake-github.ts), for the reconciliation tests: lists hooks and deliveries as GitHub does (shapes from
// test/fixtures/github-hook-deliveries/, newest first, `per_page` and `cursor` pages with a Link
// header), and a redelivery request really delivers: the payload is posted, signed with the hook's
// secret, to the hook's URL, and the attempt is listed with the status it got.
//   https://docs.github.com/en/rest/repos/webhooks#list-repository-webhooks
//   https://docs.github.com/en/rest/repos/webhooks#list-deliveries-for-a-repository-webhook
//   https://docs.github.com/en/rest/repos/webhooks#redeliver-a-delivery-for-a-repository-webhook
//   https://docs.github.com/en/rest/orgs/webhooks (the same three for an organization's hooks)
//   https://docs.github.com/en/rest/apps/webhooks (an app's one hook: /app/hook/deliveries…)
// An organization hook is listed as the OpenAPI description's example `org-hook-items` is.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { githubAnswer } from './github-openapi.js';

const FIXTURES = new URL('../fixtures/github-hook-deliveries/', import.meta.url);
const HOOK_TEMPLATE = JSON.parse(readFileSync(new URL('hooks.json', FIXTURES), 'utf8'))[0];
const DELIVERY_TEMPLATE = JSON.parse(readFileSync(new URL('deliveries.json', FIXTURES), 'utf8'))[0];

export interface FakeHook {
  id: number;
  /** Exactly one of repository, org and app: whose hook it is. */
  repository?: string;
  org?: string;
  /** The GitHub App's own hook. */
  app?: boolean;
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
      const orgHooks = /^\/orgs\/([^/]+)\/hooks$/.exec(url.pathname);
      const repoList = /^\/repos\/([^/]+)\/([^/]+)\/hooks\/(\d+)\/deliveries$/.exec(url.pathname);
      const repoAttempt =
        /^\/repos\/([^/]+)\/([^/]+)\/hooks\/(\d+)\/deliveries\/(\d+)\/attempts$/.exec(url.pathname);
      const orgList = /^\/orgs\/([^/]+)\/hooks\/(\d+)\/deliveries$/.exec(url.pathname);
      const orgAttempt = /^\/orgs\/([^/]+)\/hooks\/(\d+)\/deliveries\/(\d+)\/attempts$/.exec(
        url.pathname,
      );
      const appList = url.pathname === '/app/hook/deliveries';
      const appAttempt = /^\/app\/hook\/deliveries\/(\d+)\/attempts$/.exec(url.pathname);
      // Which hook a deliveries route is about (and the attempt asked for), whoever owns it.
      const list = repoList
        ? { hook: hookOf(`${repoList[1]}/${repoList[2]}`, Number(repoList[3])) }
        : orgList
          ? { hook: orgHookOf(orgList[1] as string, Number(orgList[2])) }
          : appList
            ? { hook: state.hooks.find((hook) => hook.app === true) }
            : null;
      const attempt = repoAttempt
        ? {
            hook: hookOf(`${repoAttempt[1]}/${repoAttempt[2]}`, Number(repoAttempt[3])),
            id: Number(repoAttempt[4]),
          }
        : orgAttempt
          ? {
              hook: orgHookOf(orgAttempt[1] as string, Number(orgAttempt[2])),
              id: Number(orgAttempt[3]),
            }
          : appAttempt
            ? { hook: state.hooks.find((hook) => hook.app === true), id: Number(appAttempt[1]) }
            : null;
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
      if (orgHooks && method === 'GET') {
        const org = orgHooks[1] as string;
        const template = githubAnswer<Record<string, any>[] & Record<string, unknown>>(
          'orgs/list-webhooks',
          200,
        )[0] as Record<string, any>;
        return {
          status: 200,
          body: state.hooks
            .filter((hook) => hook.org === org)
            .map((hook) => ({
              ...template,
              id: hook.id,
              config: { ...template.config, url: hook.url },
              url: `${baseUrl}/orgs/${org}/hooks/${hook.id}`,
            })),
        };
      }
      if (list && method === 'GET') {
        const hook = list.hook;
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
        const hook = attempt.hook;
        const original = state.deliveries.find(
          (delivery) => delivery.id === attempt.id && delivery.hookId === hook?.id,
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

  function orgHookOf(org: string, id: number): FakeHook | undefined {
    return state.hooks.find((hook) => hook.org === org && hook.id === id);
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
