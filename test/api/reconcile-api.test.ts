// POST /api/v1/deliveries/reconcile and `storyflow deliveries reconcile` end to end: a fake GitHub
// lists its hook's deliveries (some failed, some never stored, some already in the inbox), only
// the right ones are redelivered, the fake posts them signed to /webhooks/github, and each is
// stored once.

import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ForgeConfig } from '../../src/config/config.js';
import { githubExample } from '../providers/github/github-examples.js';
import { acmeForge, type FakeGithub, startFakeGithub } from '../support/fake-github.js';
import { http } from '../support/http.js';
import { newDelivery } from '../support/new-delivery.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';
import { GITHUB_SECRET, postGithub, webhookTestConfig } from '../support/webhooks.js';

const TOKEN = 'ghp_reconcile_test';
const HOOK = 42;

function forgeOf(apiUrl: string): ForgeConfig {
  return acmeForge(apiUrl, TOKEN, {
    id: 'github:acme/shop',
    owner: null,
    repository: 'acme/shop',
    linkback: false,
  });
}

describeEachStore('deliveries reconcile API and CLI', (open) => {
  let server: TestServer;
  let github: FakeGithub;
  const api = (path: string, json: unknown, token?: string) =>
    http(server.url, 'POST', `/api/v1${path}`, { token: token ?? server.token, json });
  const minutesAgo = (minutes: number) =>
    new Date(Date.now() - minutes * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const push = githubExample('push');
  const record = (guid: string, minutes: number, statusCode: number, hookId = HOOK) =>
    github.hookDeliveries.recordDelivery({
      hookId,
      guid,
      event: 'push',
      deliveredAt: minutesAgo(minutes),
      statusCode,
      status: statusCode === 200 ? 'OK' : `Invalid HTTP Response: ${statusCode}`,
      payload: push,
    });
  const stored = async () =>
    (await server.store.deliveries.listDeliveries({ provider: 'github', limit: 1000 })).map(
      (delivery) => delivery.deliveryId,
    );

  beforeEach(async () => {
    github = await startFakeGithub(TOKEN);
    server = await startTestServer(await open(), {
      config: { webhooks: webhookTestConfig(), forges: [forgeOf(github.url)] },
    });
    github.hookDeliveries.hooks.push(
      {
        id: HOOK,
        repository: 'acme/shop',
        url: `${server.url}/webhooks/github`,
        secret: GITHUB_SECRET,
      },
      // Another service's hook on the same repository: never touched.
      { id: 43, repository: 'acme/shop', url: 'http://127.0.0.1:9/ci-hook', secret: 'other' },
    );
    // Received: stored in the inbox (and GitHub says so).
    expect(
      (await postGithub(server.url, 'push', push, { deliveryId: 'guid-received' })).status,
    ).toBe(202);
    record('guid-received', 10, 200);
    // storyflow was down: GitHub got a 502 and nothing was stored.
    record('guid-failed', 30, 502);
    // GitHub says delivered, yet the inbox has no such delivery (another database, a restore).
    record('guid-missing', 20, 200);
    // Before `since`: left alone.
    record('guid-old', 25 * 60, 502);
    record('guid-ci', 5, 500, 43);
  });
  afterEach(async () => {
    await server.close();
    await github.close();
  });

  it('redelivers only the failed and the missing deliveries; each is then stored once', async () => {
    const first = await api('/deliveries/reconcile', { since: '24h' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      repositories: ['acme/shop'],
      checked: 3,
      alreadyReceived: 1,
      failed: 1,
      missing: 1,
      redelivered: 2,
      errors: [],
    });
    await github.hookDeliveries.settled();
    expect((await stored()).sort()).toEqual(['guid-failed', 'guid-missing', 'guid-received']);
    // The redeliveries were accepted by storyflow (signed with the hook's secret).
    const redeliveries = github.hookDeliveries.deliveries.filter((delivery) => delivery.redelivery);
    expect(redeliveries.map((delivery) => [delivery.guid, delivery.status]).sort()).toEqual([
      ['guid-failed', 'OK'],
      ['guid-missing', 'OK'],
    ]);
    expect(github.malformed).toEqual([]);

    const second = await api('/deliveries/reconcile', { since: '24h' });
    expect(second.body).toMatchObject({ checked: 3, alreadyReceived: 3, redelivered: 0 });
    expect(github.hookDeliveries.redeliveryRequests).toHaveLength(2);
    expect((await stored()).sort()).toEqual(['guid-failed', 'guid-missing', 'guid-received']);
    const audit = await http(server.url, 'GET', '/api/v1/audit?action=deliveries.reconciled', {
      token: server.token,
    });
    expect(audit.body.items).toHaveLength(2);
  });

  it('follows the pages of a busy hook (100 a page, the Link header’s cursor)', async () => {
    const many = Array.from({ length: 150 }, (_, n) => `guid-busy-${n}`);
    await server.store.deliveries.insertDeliveries(
      many.map((guid, n) => newDelivery(`dlv_busy_${n}`, { deliveryId: guid })),
    );
    for (const guid of many) record(guid, 60, 200);
    const summary = await api('/deliveries/reconcile', { since: '2h' });
    expect(summary.body).toMatchObject({ checked: 153, alreadyReceived: 151, redelivered: 2 });
    const lists = github.requests.filter((request) =>
      request.path.includes(`/hooks/${HOOK}/deliveries?`),
    );
    expect(
      lists.map((request) => new URL(request.path, github.url).searchParams.get('per_page')),
    ).toEqual(['100', '100']);
    expect(new URL(lists[1]!.path, github.url).searchParams.get('cursor')).toMatch(/^v1_\d+$/);
    await github.hookDeliveries.settled();
  });

  it('since: refused beyond GitHub’s 3 days, in the future or unreadable, naming the field', async () => {
    for (const since of ['4d', 'tomorrow', new Date(Date.now() + 3_600_000).toISOString()]) {
      const refused = await api('/deliveries/reconcile', { since });
      expect(refused.status, since).toBe(400);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.body.errors[0].field).toBe('since');
    }
    expect((await api('/deliveries/reconcile', {})).status).toBe(400);
    expect(github.hookDeliveries.redeliveryRequests).toEqual([]);
  });

  it('needs deliveries:admin', async () => {
    const reader = (
      await http(server.url, 'POST', '/api/v1/tokens', {
        token: server.token,
        json: { name: 'reader', scopes: ['stories:read'] },
      })
    ).body.token as string;
    expect((await api('/deliveries/reconcile', { since: '1h' }, reader)).status).toBe(403);
  });

  it('storyflow deliveries reconcile --since 24h prints the summary; a repository it could not check exits 1', async () => {
    const target = ['--url', server.url, '--token', server.token];
    const run = await runCliInProcess(['deliveries', 'reconcile', '--since', '24h', ...target]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^Since 20\S+Z, 1 repository: 3 checked, 1 already received, 1 failed, 1 missing, 2 redelivered\n$/,
    );
    await github.hookDeliveries.settled();
    github.hookDeliveries.hooks.length = 0;
    const broken = await runCliInProcess(['deliveries', 'reconcile', ...target]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(
      'error: acme/shop: no webhook of the repository posts to a URL ending in /webhooks/github\n',
    );
  });

  it('serve with reconcile: enabled runs it at start, as the system, and stops it on close', async () => {
    const scheduled = await startTestServer(await open(), {
      config: {
        webhooks: webhookTestConfig(),
        forges: [forgeOf(github.url)],
        reconcile: { enabled: true, intervalMinutes: 10, lookbackHours: 24 },
      },
    });
    try {
      await expect
        .poll(
          async () =>
            (await scheduled.store.audit.list({ action: 'deliveries.reconciled', limit: 5 }))
              .length,
        )
        .toBe(1);
      const [entry] = await scheduled.store.audit.list({
        action: 'deliveries.reconciled',
        limit: 5,
      });
      expect(entry?.actor).toEqual({ type: 'system', id: 'system', name: 'storyflow' });
      // Its own inbox is empty, so every event of the window is redelivered (to where the hook
      // points: the first server).
      expect(entry?.after).toMatchObject({ repositories: ['acme/shop'], redelivered: 3 });
    } finally {
      await scheduled.close();
    }
    await github.hookDeliveries.settled();
  });
});
