// Refused webhooks: bounded audit entries summarized per window, a budget of refusals per
// address, GitLab's signed deliveries keyed by their signed id, and bodies that are not UTF-8.
import { createHmac, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';
import {
  branchPush,
  GITLAB_TOKEN,
  githubSignature,
  gitlabFixture,
  postGithub,
  postGitlab,
  webhookTestConfig,
} from '../support/webhooks.js';

const MINUTE = 60_000;
const SIGNING_KEY = Buffer.from('storyflow-test-signing-key-32byt');
const SIGNING_SECRET = `whsec_${SIGNING_KEY.toString('base64')}`;

/** Standard Webhooks headers for `body`, signed with SIGNING_SECRET (or `key`). */
function standardHeaders(body: string, id: string, at: Date, key = SIGNING_KEY) {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const digest = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${digest}` };
}

describeEachStore('refused webhooks', (open) => {
  let server: TestServer;
  let now = Date.parse('2026-06-01T10:00:00Z');
  const clock = { now: () => new Date(now) };
  const start = async (config: Partial<Config> = {}) => {
    server = await startTestServer(await open(), {
      clock,
      config: {
        webhooks: webhookTestConfig(),
        inbox: {
          max: 1_000_000,
          leaseMs: 30_000,
          retrySchedule: [60],
          batchSize: 100,
          pollMs: 50,
          workers: false,
          workerNiceness: 0,
        },
        ...config,
      },
    });
  };
  const api = async (path: string) =>
    (await http(server.url, 'GET', `/api/v1${path}`, { token: server.token })).body;
  const rateLimits = (webhookRefusals: { limit: number; windowMs: number }) => ({
    perToken: { limit: 100_000, windowMs: MINUTE },
    perAddress: { limit: 100_000, windowMs: MINUTE },
    authFailures: { limit: 100_000, windowMs: MINUTE },
    webhookRefusals,
  });

  beforeEach(() => {
    now = Date.parse('2026-06-01T10:00:00Z');
  });
  afterEach(async () => {
    await server.close();
  });

  it('repeated refusals from one address leave one entry, then one summary with counts per window', async () => {
    await start({ rateLimits: rateLimits({ limit: 1000, windowMs: MINUTE }) });
    for (let index = 0; index < 5; index++) {
      const forged = await postGithub(server.url, 'push', branchPush(), { secret: 'wrong' });
      expect(forged.status).toBe(401);
    }
    expect((await postGithub(server.url, 'push', branchPush(), { signature: '' })).status).toBe(
      401,
    );
    let entries = (await api('/audit?action=webhook.rejected')).items;
    expect(entries).toHaveLength(1);
    expect(entries[0].after).toMatchObject({ reason: 'bad-signature' });

    now += MINUTE; // the window closed: the next refusal writes its summary first
    expect((await postGithub(server.url, 'push', branchPush(), { secret: 'wrong' })).status).toBe(
      401,
    );
    entries = (await api('/audit?action=webhook.rejected')).items;
    expect(entries).toHaveLength(3);
    expect(entries[1]).toMatchObject({
      actor: { type: 'anonymous', id: '127.0.0.1' },
      targetId: 'github',
      after: {
        summary: true,
        count: 5,
        limited: 0,
        reasons: { 'bad-signature': 4, 'missing-signature': 1 },
        from: '2026-06-01T10:00:00.000Z',
        until: '2026-06-01T10:01:00.000Z',
      },
    });
    expect(entries[2].after).toMatchObject({ reason: 'bad-signature' });
    expect((await api('/audit/verify')).ok).toBe(true);
  });

  it("a refusal's audit entry holds only bounded fields, nothing from the unverified body", async () => {
    await start();
    const huge = 'x'.repeat(7000);
    const body = JSON.stringify({ repository: { full_name: `acme/${'r'.repeat(10_000)}` } });
    const response = await fetch(`${server.url}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': `push${huge}`,
        'x-github-delivery': `\u00e9${huge}`,
        'x-hub-signature-256': githubSignature(body, 'wrong'),
      },
      body,
    });
    expect(response.status).toBe(401);
    const [entry] = (await api('/audit?action=webhook.rejected')).items;
    expect(entry.after).toEqual({
      reason: 'bad-signature',
      event: `push${'x'.repeat(124)}…`,
      deliveryId: `?${'x'.repeat(127)}…`,
      limited: false,
    });
    expect(JSON.stringify(entry)).not.toContain('rrrr');
    expect(JSON.stringify(entry).length).toBeLessThan(1500);
  });

  it('a request is refused on its headers, before its body is read: 413 for a declared length over the limit, else 401 without a signature or token', async () => {
    await start({ webhooks: webhookTestConfig({ maxBodyBytes: 2048 }) });
    const big = JSON.stringify({ padding: 'x'.repeat(100_000) });
    const small = JSON.stringify({ padding: 'x'.repeat(1_000) });
    // Over the limit is 413 whatever the credentials (the security review's held-up answer).
    expect((await postGithub(server.url, 'push', null, { body: big, signature: '' })).status).toBe(
      413,
    );
    expect((await postGithub(server.url, 'push', null, { body: big })).status).toBe(413);
    const unsigned = await postGithub(server.url, 'push', null, { body: small, signature: '' });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body).toMatchObject({ reason: 'missing-signature' });
    const noToken = await postGitlab(
      server.url,
      'Push Hook',
      { padding: 'x'.repeat(1_000) },
      {
        token: '',
      },
    );
    expect(noToken.status).toBe(401);
    expect(noToken.body).toMatchObject({ reason: 'missing-token' });
  });

  it('past the budget of refusals an address gets 429 with Retry-After; a signed delivery still passes', async () => {
    await start({ rateLimits: rateLimits({ limit: 3, windowMs: MINUTE }) });
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof postGithub>> | undefined;
    for (let index = 0; index < 5; index++) {
      const answer = await postGithub(server.url, 'push', branchPush(), { secret: 'wrong' });
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(limited?.body).toMatchObject({
      type: 'urn:storyflow:problem:rate-limited',
      reason: 'bad-signature',
    });
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await postGithub(server.url, 'push', branchPush())).status).toBe(202);
    const metrics = (await http(server.url, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/storyflow_rate_limited_total\{limit="webhook-refusals"\} 2/);

    now += MINUTE;
    expect((await postGithub(server.url, 'push', branchPush(), { secret: 'wrong' })).status).toBe(
      401,
    );
    const summary = (await api('/audit?action=webhook.rejected')).items[1];
    expect(summary.after).toMatchObject({ summary: true, count: 4, limited: 2 });
  });

  it('a signed GitHub body that is not UTF-8 is 400 naming the byte offset; unsigned it is 401 first', async () => {
    await start();
    const bytes = Buffer.concat([
      Buffer.from('{"ref":"refs/heads/caf', 'utf8'),
      Buffer.from([0xe9]),
      Buffer.from('"}', 'utf8'),
    ]);
    const send = (signature: string) =>
      fetch(`${server.url}/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signature,
        },
        body: bytes,
      });
    const signed = await send(githubSignature(bytes));
    expect(signed.status).toBe(400);
    expect(signed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await signed.json()).toMatchObject({
      type: 'urn:storyflow:problem:bad-request',
      reason: 'not-utf8',
      byteOffset: 22,
      detail: 'The body is not valid UTF-8 at byte offset 22',
    });
    const unsigned = await send(githubSignature(bytes, 'wrong'));
    expect(unsigned.status).toBe(401);
    expect((await api('/deliveries')).items).toHaveLength(0);
    const malformed = (await api('/audit?action=webhook.malformed')).items;
    expect(malformed.map((entry: any) => entry.after.reason)).toEqual(['not-utf8']);
  });

  it('with a GitLab signing secret, the signed webhook-id is the delivery id: unsigned headers cannot make a replay new', async () => {
    await start({
      webhooks: webhookTestConfig({
        gitlab: {
          tokens: [GITLAB_TOKEN],
          signingSecrets: [SIGNING_SECRET],
          repositories: [],
          timestampToleranceSeconds: 300,
        },
      }),
    });
    const body = JSON.stringify(gitlabFixture('push'));
    const signed = standardHeaders(body, `msg_${randomUUID()}`, new Date(now));
    const send = (headers: Record<string, string>) =>
      fetch(`${server.url}/webhooks/gitlab`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-gitlab-event': 'Push Hook',
          'x-gitlab-token': GITLAB_TOKEN,
          ...headers,
        },
        body,
      }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as any,
      }));
    const first = await send({ ...signed, 'x-gitlab-event-uuid': randomUUID() });
    expect(first).toMatchObject({ status: 202, body: { duplicate: false } });
    const replays = [
      await send(signed),
      await send({ ...signed, 'idempotency-key': randomUUID() }),
      await send({ ...signed, 'x-gitlab-event-uuid': randomUUID() }),
    ];
    for (const replay of replays) {
      expect(replay).toEqual({
        status: 202,
        body: { delivery: first.body.delivery, duplicate: true },
      });
    }
    expect((await api('/deliveries')).items).toHaveLength(1);
  });

  it('with a GitLab signing secret, X-Gitlab-Token alone is refused (no downgrade)', async () => {
    await start({
      webhooks: webhookTestConfig({
        gitlab: {
          tokens: [GITLAB_TOKEN],
          signingSecrets: [SIGNING_SECRET],
          repositories: [],
          timestampToleranceSeconds: 300,
        },
      }),
    });
    const tokenOnly = await postGitlab(server.url, 'Push Hook', gitlabFixture('push'));
    expect(tokenOnly.status).toBe(401);
    expect(tokenOnly.body).toMatchObject({ reason: 'missing-signature' });
    const body = JSON.stringify(gitlabFixture('push'));
    const wrongKey = standardHeaders(body, 'msg_1', new Date(now), Buffer.from('another-key'));
    const forged = await postGitlab(server.url, 'Push Hook', gitlabFixture('push'), {
      headers: wrongKey,
    });
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ reason: 'bad-signature' });
    expect((await api('/deliveries')).items).toHaveLength(0);
  });

  it("a repository's own GitLab signing secret makes that repository's deliveries signed-only", async () => {
    const push = gitlabFixture('push');
    const repository: string = push.project.path_with_namespace;
    await start({
      webhooks: webhookTestConfig({
        gitlab: {
          tokens: [GITLAB_TOKEN],
          signingSecrets: [],
          repositories: [{ repository, tokens: [], signingSecrets: [SIGNING_SECRET] }],
          timestampToleranceSeconds: 300,
        },
      }),
    });
    const tokenOnly = await postGitlab(server.url, 'Push Hook', push);
    expect(tokenOnly.status).toBe(401);
    expect(tokenOnly.body).toMatchObject({ reason: 'missing-signature' });
    const other = { ...push, project: { ...push.project, path_with_namespace: 'other/project' } };
    expect((await postGitlab(server.url, 'Push Hook', other)).status).toBe(202);
    const body = JSON.stringify(push);
    const signed = await fetch(`${server.url}/webhooks/gitlab`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gitlab-event': 'Push Hook',
        ...standardHeaders(body, 'msg_own', new Date(now)),
      },
      body,
    });
    expect(signed.status).toBe(202);
  });
});

describe('the budget of refused webhooks', () => {
  it('STORYFLOW_WEBHOOK_REFUSAL_RATE_LIMIT sets the budget', async () => {
    const config = loadConfig({
      env: { STORYFLOW_WEBHOOK_REFUSAL_RATE_LIMIT: '5/10s' },
      cwd: '/nonexistent',
    });
    expect(config.rateLimits.webhookRefusals).toEqual({ limit: 5, windowMs: 10_000 });
    expect(loadConfig({ cwd: '/nonexistent' }).rateLimits.webhookRefusals).toEqual({
      limit: 60,
      windowMs: MINUTE,
    });
    expect(() =>
      loadConfig({ env: { STORYFLOW_WEBHOOK_REFUSAL_RATE_LIMIT: 'lots' }, cwd: '/nonexistent' }),
    ).toThrow(/STORYFLOW_WEBHOOK_REFUSAL_RATE_LIMIT/);
  });
});
