// Shared setup of the automation end-to-end tests: a test server with webhooks configured and
// the inbox worker driven by the test, the fixture stories imported, and small readers for
// stories, operations and links.
import { expect } from 'vitest';
import type { Config } from '../../src/config/config.js';
import type { Clock } from '../../src/domain/clock.js';
import type { Store } from '../../src/storage/store.js';
import { fixtureStories } from './fixture-stories.js';
import { type HttpResult, http } from './http.js';
import { startTestServer, type TestServer } from './start-test-server.js';
import { postBitbucket, postGithub, postGitlab, webhookTestConfig } from './webhooks.js';

export interface AutomationHarness {
  server: TestServer;
  /** An admin request under /api/v1. */
  api(method: string, path: string, options?: Parameters<typeof http>[3]): Promise<HttpResult>;
  story(id: string): Promise<Record<string, any>>;
  /** Operations naming the story (or all), oldest first. */
  operations(story?: string): Promise<any[]>;
  links(story: string): Promise<any[]>;
  /** The story's audit entries, oldest first. */
  history(story: string): Promise<any[]>;
  /** Posts a signed GitHub webhook, runs the inbox worker, and answers the processed delivery. */
  github(event: string, payload: unknown, options?: { deliveryId?: string }): Promise<Delivery>;
  /** Posts a GitLab webhook with the X-Gitlab-Token, runs the worker, answers the delivery. */
  gitlab(event: string, payload: unknown, options?: { uuid?: string }): Promise<Delivery>;
  /** Posts a signed Bitbucket webhook (Cloud headers unless told), runs the worker, answers the delivery. */
  bitbucket(
    event: string,
    payload: unknown,
    options?: { deliveryId?: string; flavour?: 'cloud' | 'data-center' },
  ): Promise<Delivery>;
  /** Runs the inbox worker until no delivery is due. */
  drain(): Promise<number>;
  close(): Promise<void>;
}

export interface Delivery {
  id: string;
  duplicate: boolean;
  status: string;
  lastError: string | null;
  /** The operations this delivery recorded, oldest first. */
  operations: any[];
}

export async function startAutomationHarness(
  store: Store,
  options: { config?: Partial<Config>; importFixtures?: boolean } = {},
): Promise<AutomationHarness> {
  const server = await startTestServer(store, {
    clock: strictlyIncreasingClock(),
    config: {
      webhooks: webhookTestConfig(),
      inbox: { ...inboxDefaults(), workers: false },
      ...options.config,
    },
  });
  const api: AutomationHarness['api'] = (method, path, requestOptions = {}) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token, ...requestOptions });

  const drain = async () => {
    let total = 0;
    for (;;) {
      const claimed = await server.inboxWorker.runOnce();
      if (claimed === 0) return total;
      total += claimed;
    }
  };
  const deliveryOf = async (answer: { status: number; body: any }): Promise<Delivery> => {
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    await drain();
    const delivery = await api('GET', `/deliveries/${answer.body.delivery}`);
    const operations = await api('GET', `/operations?delivery=${answer.body.delivery}`);
    return {
      id: answer.body.delivery,
      duplicate: answer.body.duplicate,
      status: delivery.body.status,
      lastError: delivery.body.lastError,
      operations: [...operations.body.items].reverse(),
    };
  };

  const harness: AutomationHarness = {
    server,
    api,
    drain,
    async story(id) {
      const answer = await api('GET', `/stories/${id}`);
      expect(answer.status, `GET /stories/${id}`).toBe(200);
      return answer.body;
    },
    async operations(story) {
      const query = story === undefined ? '' : `&story=${story}`;
      const answer = await api('GET', `/operations?limit=500${query}`);
      expect(answer.status).toBe(200);
      return [...answer.body.items].reverse();
    },
    async links(story) {
      const answer = await api('GET', `/stories/${story}/links`);
      expect(answer.status).toBe(200);
      return answer.body.items;
    },
    async history(story) {
      const answer = await api('GET', `/stories/${story}/history?limit=500`);
      expect(answer.status).toBe(200);
      return answer.body.items;
    },
    async github(event, payload, githubOptions = {}) {
      return deliveryOf(await postGithub(server.url, event, payload, githubOptions));
    },
    async gitlab(event, payload, gitlabOptions = {}) {
      return deliveryOf(await postGitlab(server.url, event, payload, gitlabOptions));
    },
    async bitbucket(event, payload, bitbucketOptions = {}) {
      return deliveryOf(await postBitbucket(server.url, event, payload, bitbucketOptions));
    },
    close: () => server.close(),
  };
  if (options.importFixtures ?? true) {
    const imported = await api('POST', '/stories/import', {
      json: { documents: fixtureStories().map((story) => story.text) },
    });
    expect(imported.status, imported.text).toBe(200);
  }
  return harness;
}

/**
 * The real time, but never the same instant twice: operations are listed by creation time, so
 * each one gets its own and the order of a scenario is the order of its listing.
 */
export function strictlyIncreasingClock(): Clock {
  let last = 0;
  return {
    now() {
      last = Math.max(Date.now(), last + 1);
      return new Date(last);
    },
  };
}

function inboxDefaults(): Config['inbox'] {
  return {
    max: 1_000_000,
    leaseMs: 30_000,
    retrySchedule: [60],
    batchSize: 200,
    pollMs: 1000,
    workers: false,
    workerNiceness: 0,
  };
}

/** The status of each story, by id. */
export async function statuses(
  harness: AutomationHarness,
  ids: readonly string[],
): Promise<Record<string, string>> {
  const entries = await Promise.all(
    ids.map(async (id) => [id, (await harness.story(id)).status] as const),
  );
  return Object.fromEntries(entries);
}

/** A snapshot of what the automation can change: every story (whole) and every operation. */
export async function snapshot(harness: AutomationHarness): Promise<{
  stories: unknown[];
  operations: unknown[];
}> {
  const stories = await harness.api('GET', '/stories?limit=500');
  const storyIds = (stories.body.items as { id: string }[]).map((story) => story.id).sort();
  return {
    stories: await Promise.all(storyIds.map((id) => harness.story(id))),
    operations: await harness.operations(),
  };
}
