import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { githubExample } from '../providers/github/github-examples.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';
import {
  branchPush,
  GITHUB_SECRET,
  githubSignature,
  gitlabFixture,
  postGithub,
  postGitlab,
  webhookTestConfig,
} from '../support/webhooks.js';

describeEachStore('webhook ingestion', (open) => {
  let server: TestServer;
  const start = async (config: Partial<Config> = {}) => {
    server = await startTestServer(await open(), {
      config: {
        webhooks: webhookTestConfig(),
        // The tests drive the worker themselves (runOnce) so they can look in between.
        inbox: { ...defaultInbox, workers: false },
        ...config,
      },
    });
  };
  const api = (method: string, path: string, options: Parameters<typeof http>[3] = {}) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token, ...options });
  const process = () => server.inboxWorker.runOnce();

  beforeEach(async () => {
    await start();
  });
  afterEach(async () => {
    await server.close();
  });

  it('a signed GitHub push is stored, answered 202, and processed into normalized events', async () => {
    const push = branchPush();
    const deliveryId = randomUUID();
    const answer = await postGithub(server.url, 'push', push, { deliveryId });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ delivery: expect.stringMatching(/^dlv_/), duplicate: false });

    const pending = await api('GET', `/deliveries/${answer.body.delivery}`);
    expect(pending.body).toMatchObject({
      status: 'pending',
      provider: 'github',
      event: 'push',
      deliveryId,
    });

    expect(await process()).toBe(1);
    const done = await api('GET', `/deliveries/${answer.body.delivery}`);
    expect(done.body).toMatchObject({ status: 'processed', attempts: 1, lastError: null });
    expect(done.body.events[0]).toMatchObject({ kind: 'push', provider: 'github' });
    const audit = await api('GET', `/audit?delivery=${answer.body.delivery}`);
    expect(audit.body.items.map((entry: any) => entry.action)).toEqual(['delivery.processed']);
  });

  it('a redelivery with the same delivery id answers duplicate and changes nothing', async () => {
    const push = branchPush();
    const deliveryId = randomUUID();
    const first = await postGithub(server.url, 'push', push, { deliveryId });
    await process();
    const again = await postGithub(server.url, 'push', push, { deliveryId });
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ delivery: first.body.delivery, duplicate: true });
    expect(await process()).toBe(0);
    const list = await api('GET', '/deliveries');
    expect(list.body.items).toHaveLength(1);
    const concurrent = await Promise.all(
      Array.from({ length: 10 }, () =>
        postGithub(server.url, 'push', push, { deliveryId: 'same-burst' }),
      ),
    );
    expect(new Set(concurrent.map((answer) => answer.body.delivery)).size).toBe(1);
    expect(concurrent.filter((answer) => !answer.body.duplicate)).toHaveLength(1);
  });

  it('a bad signature is refused with 401, stores nothing and leaves one audit entry and a metric', async () => {
    const push = branchPush();
    const forged = await postGithub(server.url, 'push', push, { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({
      type: 'urn:storyflow:problem:unauthorized',
      reason: 'bad-signature',
      detail: 'X-Hub-Signature-256 does not match the body',
    });
    expect((await api('GET', '/deliveries')).body.items).toHaveLength(0);
    const audit = await api('GET', '/audit?action=webhook.rejected');
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({
      targetId: 'github',
      actor: { type: 'anonymous', id: '127.0.0.1' },
      after: { reason: 'bad-signature', event: 'push' },
    });
    const metrics = (await http(server.url, 'GET', '/metrics')).text;
    expect(metrics).toMatch(
      /storyflow_webhooks_rejected_total\{provider="github",reason="bad-signature"\} 1/,
    );
  });

  it('a GitHub request without X-Hub-Signature-256 is told the header is missing', async () => {
    const missing = await postGithub(server.url, 'push', branchPush(), { signature: '' });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({
      type: 'urn:storyflow:problem:unauthorized',
      reason: 'missing-signature',
      detail: 'X-Hub-Signature-256 is missing',
    });
  });

  it('any of several secrets is valid, for rotation', async () => {
    await server.close();
    await start({
      webhooks: webhookTestConfig({
        github: { secrets: ['old-secret', GITHUB_SECRET], repositories: [] },
      }),
    });
    expect(
      (await postGithub(server.url, 'push', branchPush(), { secret: 'old-secret' })).status,
    ).toBe(202);
    expect((await postGithub(server.url, 'push', branchPush())).status).toBe(202);
  });

  it('a per-repository secret is valid for that repository only', async () => {
    await server.close();
    await start({
      webhooks: webhookTestConfig({
        github: {
          secrets: [],
          repositories: [{ repository: 'octo-org/*', secrets: ['org-secret'] }],
        },
      }),
    });
    const push = branchPush();
    push.repository.full_name = 'octo-org/shop';
    expect((await postGithub(server.url, 'push', push, { secret: 'org-secret' })).status).toBe(202);
    push.repository.full_name = 'someone/else';
    expect((await postGithub(server.url, 'push', push, { secret: 'org-secret' })).status).toBe(401);
  });

  it('unparseable JSON with a valid signature is a 400, recorded in the audit log', async () => {
    const body = '{"not json';
    const answer = await postGithub(server.url, 'push', null, {
      body,
      signature: githubSignature(body),
    });
    expect(answer.status).toBe(400);
    const audit = await api('GET', '/audit?action=webhook.malformed');
    expect(audit.body.items).toHaveLength(1);
  });

  it('a body over the limit is refused with 413', async () => {
    await server.close();
    await start({ webhooks: webhookTestConfig({ maxBodyBytes: 2048 }) });
    const big = JSON.stringify({ padding: 'x'.repeat(4096) });
    const answer = await postGithub(server.url, 'push', null, {
      body: big,
      signature: githubSignature(big),
    });
    expect(answer.status).toBe(413);
    expect(answer.body.type).toBe('urn:storyflow:problem:payload-too-large');
  });

  it('a ping and events outside the model are stored and marked ignored, never errors', async () => {
    const ping = await postGithub(server.url, 'ping', {
      zen: 'Keep it logically awesome.',
      hook_id: 1,
    });
    const star = await postGithub(server.url, 'star', githubExample('star'));
    expect([ping.status, star.status]).toEqual([202, 202]);
    await process();
    for (const id of [ping.body.delivery, star.body.delivery]) {
      const delivery = await api('GET', `/deliveries/${id}`);
      expect(delivery.body.status).toBe('ignored');
      expect(delivery.body.events).toEqual([]);
    }
  });

  it('a GitLab hook with the right token is stored; a wrong or missing token is 401', async () => {
    const push = gitlabFixture('push');
    const ok = await postGitlab(server.url, 'Push Hook', push);
    expect(ok.status).toBe(202);
    expect((await postGitlab(server.url, 'Push Hook', push, { token: 'wrong' })).status).toBe(401);
    expect((await postGitlab(server.url, 'Push Hook', push, { token: '' })).status).toBe(401);
    await process();
    const delivery = await api('GET', `/deliveries/${ok.body.delivery}`);
    expect(delivery.body).toMatchObject({
      status: 'processed',
      provider: 'gitlab',
      repository: push.project.path_with_namespace,
    });
  });

  it("GitLab's Idempotency-Key deduplicates its retries even when the event UUID changes", async () => {
    const push = gitlabFixture('push');
    const first = await postGitlab(server.url, 'Push Hook', push, { idempotencyKey: 'key-1' });
    const retry = await postGitlab(server.url, 'Push Hook', push, { idempotencyKey: 'key-1' });
    expect(retry.body).toEqual({ delivery: first.body.delivery, duplicate: true });
  });

  it('a delivery whose processing fails is retried with backoff, then dead; replay runs it again', async () => {
    await server.close();
    let failing = true;
    let now = Date.parse('2026-03-01T10:00:00Z');
    server = await startTestServer(await open(), {
      clock: { now: () => new Date(now) },
      deliveryHandler: {
        async handle() {
          if (failing) throw new Error('automation exploded');
          return { operations: [] };
        },
      },
      config: {
        webhooks: webhookTestConfig(),
        inbox: { ...defaultInbox, workers: false, retrySchedule: [10, 20] },
      },
    });
    const answer = await postGithub(server.url, 'push', branchPush());
    const id = answer.body.delivery;
    await process();
    let delivery = (await api('GET', `/deliveries/${id}`)).body;
    expect(delivery).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'automation exploded',
    });
    expect(await process()).toBe(0); // not due yet
    now += 13_000; // 10 s ± 20 % jitter has passed
    await process();
    delivery = (await api('GET', `/deliveries/${id}`)).body;
    expect(delivery).toMatchObject({ status: 'failed', attempts: 2 });
    now += 25_000;
    await process();
    delivery = (await api('GET', `/deliveries/${id}`)).body;
    expect(delivery).toMatchObject({ status: 'dead', attempts: 3 });
    expect((await api('GET', '/deliveries?status=dead')).body.items).toHaveLength(1);

    failing = false;
    const replay = await api('POST', `/deliveries/${id}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.body.status).toBe('pending');
    await process();
    expect((await api('GET', `/deliveries/${id}`)).body).toMatchObject({
      status: 'processed',
      attempts: 4,
    });
    const audit = (await api('GET', `/audit?delivery=${id}`)).body.items.map(
      (entry: any) => entry.action,
    );
    expect(audit).toEqual(['delivery.dead', 'delivery.replayed', 'delivery.processed']);
  });

  it('past STORYFLOW_INBOX_MAX pending deliveries, webhooks get 503 with Retry-After', async () => {
    await server.close();
    await start({ inbox: { ...defaultInbox, workers: false, max: 3 } });
    const statuses: number[] = [];
    for (let index = 0; index < 5; index++) {
      const answer = await postGithub(server.url, 'push', branchPush());
      statuses.push(answer.status);
      if (answer.status === 503) expect(answer.headers.get('retry-after')).toBeTruthy();
    }
    expect(statuses).toEqual([202, 202, 202, 503, 503]);
  });

  it('lists deliveries by status, provider and repository, newest first, with a cursor', async () => {
    for (let index = 0; index < 3; index++) await postGithub(server.url, 'push', branchPush());
    await postGitlab(server.url, 'Push Hook', gitlabFixture('push'));
    expect((await api('GET', '/deliveries?provider=gitlab')).body.items).toHaveLength(1);
    const first = await api('GET', '/deliveries?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await api('GET', `/deliveries?limit=2&cursor=${first.body.nextCursor}`);
    const ids = [...first.body.items, ...second.body.items].map((item: any) => item.id);
    expect(new Set(ids).size).toBe(4);
    expect(second.body.nextCursor).toBeNull();
  });
});

const defaultInbox = {
  max: 1_000_000,
  leaseMs: 30_000,
  retrySchedule: [60, 300],
  batchSize: 100,
  pollMs: 50,
  workers: true,
  workerNiceness: 0,
};
