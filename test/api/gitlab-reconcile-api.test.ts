// POST /api/v1/deliveries/reconcile for GitLab end to end: a fake GitLab lists its hooks' events
// (some failed, some never stored, some already in the inbox), storyflow asks it to resend only
// the right ones, the fake posts them to /webhooks/gitlab with the event's Idempotency-Key, and
// each is stored once. GitLab's limit of five resends a minute per hook leaves the rest for the
// next run; a group's hook covers an `owner:` entry.
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ForgeConfig } from '../../src/config/config.js';
import { type FakeGitlab, gitlabForge, startFakeGitlab } from '../support/fake-gitlab.js';
import { http } from '../support/http.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';
import { GITLAB_TOKEN, gitlabFixture, postGitlab, webhookTestConfig } from '../support/webhooks.js';

const TOKEN = 'glpat-reconcile-test';
const HOOK = 11;

describeEachStore('deliveries reconcile for GitLab hooks', (open) => {
  let server: TestServer;
  let gitlab: FakeGitlab;
  const push = gitlabFixture('push');
  push.project = { ...push.project, path_with_namespace: 'acme/shop' };

  const start = async (...forges: ForgeConfig[]) => {
    server = await startTestServer(await open(), {
      config: { webhooks: webhookTestConfig(), forges },
    });
  };
  const reconcile = (since = '24h') =>
    http(server.url, 'POST', '/api/v1/deliveries/reconcile', {
      token: server.token,
      json: { since },
    });
  const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
  const record = (key: string, responseStatus: string, hours = 1, hookId = HOOK) =>
    gitlab.recordEvent({
      hookId,
      event: 'Push Hook',
      idempotencyKey: key,
      eventUuid: `uuid-${key}`,
      payload: push,
      responseStatus,
      createdAt: hoursAgo(hours),
    });
  const stored = async () =>
    (await server.store.deliveries.listDeliveries({ provider: 'gitlab', limit: 1000 }))
      .map((delivery) => delivery.deliveryId)
      .sort();

  beforeEach(async () => {
    gitlab = await startFakeGitlab(TOKEN);
  });
  afterEach(async () => {
    expect(gitlab.malformed).toEqual([]);
    await server.close();
    await gitlab.close();
  });

  it('resends only the failed and the missing events of the hook posting to storyflow; each is then stored once', async () => {
    await start(
      gitlabForge(gitlab.url, TOKEN, {
        id: 'gitlab:acme/shop',
        owner: null,
        repository: 'acme/shop',
      }),
    );
    gitlab.hooks.push(
      {
        id: HOOK,
        parent: 'projects',
        path: 'acme/shop',
        url: `${server.url}/webhooks/gitlab`,
        token: GITLAB_TOKEN,
      },
      // Another service's hook on the same project: never touched.
      { id: 12, parent: 'projects', path: 'acme/shop', url: 'http://127.0.0.1:9/ci', token: 'x' },
    );
    const received = await postGitlab(server.url, 'Push Hook', push, {
      idempotencyKey: 'key-received',
    });
    expect(received.status).toBe(202);
    record('key-received', '200', 2);
    // storyflow was down: GitLab logged a 502, or could not connect at all.
    record('key-failed', '502', 3);
    record('key-down', 'internal error', 4);
    // GitLab says delivered, yet the inbox has no such delivery (another database, a restore).
    record('key-missing', '200', 5);
    // Before `since`: left alone.
    record('key-old', '502', 30);
    record('key-ci', '500', 1, 12);

    const first = await reconcile();
    expect(first.status).toBe(200);
    const counts = { checked: 4, alreadyReceived: 1, failed: 2, missing: 1, redelivered: 3 };
    expect(first.body).toMatchObject({ repositories: ['acme/shop'], ...counts, errors: [] });
    expect(first.body.forges).toEqual([
      {
        forge: 'gitlab:acme/shop',
        provider: 'gitlab',
        repositories: ['acme/shop'],
        ...counts,
        errors: [],
      },
    ]);
    expect(await stored()).toEqual(['key-down', 'key-failed', 'key-missing', 'key-received']);
    // The resends reached storyflow (with the hook's token) and GitLab logged them as 202.
    expect(
      gitlab.events
        .filter((event) => event.responseStatus === '202')
        .map((event) => event.idempotencyKey)
        .sort(),
    ).toEqual(['key-down', 'key-failed', 'key-missing']);
    expect(gitlab.requests.some((request) => request.path.includes('/hooks/12/'))).toBe(false);

    // The resends share their event's Idempotency-Key: the next run finds them all received.
    const second = await reconcile();
    expect(second.body).toMatchObject({ checked: 4, alreadyReceived: 4, redelivered: 0 });
    expect(gitlab.resendRequests).toHaveLength(3);
    expect(await stored()).toEqual(['key-down', 'key-failed', 'key-missing', 'key-received']);
  });

  it('GitLab allows five resends a minute per hook: the rest are reported and left for the next run', async () => {
    await start(
      gitlabForge(gitlab.url, TOKEN, {
        id: 'gitlab:acme/shop',
        owner: null,
        repository: 'acme/shop',
        hookId: HOOK,
      }),
    );
    gitlab.hooks.push({
      id: HOOK,
      parent: 'projects',
      path: 'acme/shop',
      url: `${server.url}/webhooks/gitlab`,
      token: GITLAB_TOKEN,
    });
    for (let n = 0; n < 7; n += 1) record(`key-${n}`, '503', 1 + n / 10);
    const summary = await reconcile();
    expect(summary.body).toMatchObject({ checked: 7, failed: 7, redelivered: 5 });
    expect(summary.body.errors).toEqual([
      {
        repository: 'acme/shop',
        message: `hook ${HOOK}: GitLab limits resends (429); 2 left for the next run`,
      },
    ]);
    expect(await stored()).toHaveLength(5);
    // With hookId, the project's hooks are not even listed.
    expect(
      gitlab.requests.some((request) => request.path.startsWith('/projects/acme%2Fshop/hooks?')),
    ).toBe(false);
  });

  it('an owner: entry is covered by its group’s hook (events of 20 a page, followed)', async () => {
    await start(gitlabForge(gitlab.url, TOKEN, { id: 'gitlab:acme', owner: 'acme' }));
    gitlab.hooks.push({
      id: 21,
      parent: 'groups',
      path: 'acme',
      url: `${server.url}/webhooks/gitlab`,
      token: GITLAB_TOKEN,
    });
    // storyflow has heard from acme/shop, which has no hook of its own: the group's covers it.
    expect(
      (await postGitlab(server.url, 'Push Hook', push, { idempotencyKey: 'key-seen' })).status,
    ).toBe(202);
    record('key-seen', '200', 1, 21);
    for (let n = 0; n < 24; n += 1) record(`key-ok-${n}`, '200', 2, 21);
    const summary = await reconcile();
    expect(summary.body).toMatchObject({
      repositories: ['acme', 'acme/shop'],
      checked: 25,
      alreadyReceived: 1,
      missing: 24,
      // Five resends a minute: five went out, the rest wait for the next run.
      redelivered: 5,
    });
    expect(summary.body.errors).toEqual([
      {
        repository: 'acme',
        message: 'hook 21: GitLab limits resends (429); 19 left for the next run',
      },
    ]);
    expect(await stored()).toHaveLength(6);
    const pages = gitlab.requests
      .filter(
        (request) =>
          request.method === 'GET' && request.path.startsWith('/groups/acme/hooks/21/events'),
      )
      .map((request) => new URL(request.path, 'http://x').searchParams.get('page'));
    expect(pages).toEqual(['1', '2']);
  });

  it('storyflow deliveries reconcile prints the totals, then a line per forge entry', async () => {
    await start(
      gitlabForge(gitlab.url, TOKEN, {
        id: 'gitlab:acme/shop',
        owner: null,
        repository: 'acme/shop',
      }),
      gitlabForge(gitlab.url, TOKEN, { id: 'gitlab:other', owner: 'other' }),
    );
    gitlab.hooks.push({
      id: HOOK,
      parent: 'projects',
      path: 'acme/shop',
      url: `${server.url}/webhooks/gitlab`,
      token: GITLAB_TOKEN,
    });
    record('key-cli', '502');
    const run = await runCliInProcess([
      'deliveries',
      'reconcile',
      '--since',
      '24h',
      '--url',
      server.url,
      '--token',
      server.token,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^Since 20\S+Z, 2 repositories: 1 checked, 0 already received, 1 failed, 0 missing, 1 redelivered\n {2}gitlab:acme\/shop: 1 checked, 1 redelivered\n {2}gitlab:other: 0 checked, 0 redelivered\n$/,
    );
  });
});
