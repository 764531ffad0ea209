// /webhooks/gitea over real HTTP: answered as GitHub's route is (202 {delivery, duplicate}, 401
// with nothing stored), with the forges' headers kept and their refusals audited under 'gitea'.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { giteaFixture, giteaHeaders, postGitea } from '../support/gitea-webhooks.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';
import { webhookTestConfig } from '../support/webhooks.js';

describeEachStore('Gitea and Forgejo webhook ingestion', (open) => {
  let server: TestServer;
  const api = (method: string, path: string) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token });

  beforeEach(async () => {
    server = await startTestServer(await open(), {
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
      },
    });
  });
  afterEach(async () => {
    await server.close();
  });

  it('a signed Gitea push is stored under X-Gitea-Delivery, answered 202, and processed', async () => {
    const answer = await postGitea(server.url, 'push', giteaFixture('push'), {
      deliveryId: 'f6266f16-1bf3-46a5-9ea4-602e06ead473',
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ delivery: expect.stringMatching(/^dlv_/), duplicate: false });
    const stored = await api('GET', `/deliveries/${answer.body.delivery}`);
    expect(stored.body).toMatchObject({
      provider: 'gitea',
      event: 'push',
      deliveryId: 'f6266f16-1bf3-46a5-9ea4-602e06ead473',
      status: 'pending',
    });

    expect(await server.inboxWorker.runOnce()).toBe(1);
    const done = await api('GET', `/deliveries/${answer.body.delivery}`);
    expect(done.body).toMatchObject({ status: 'processed', lastError: null });
    expect(done.body.events).toEqual([
      expect.objectContaining({ kind: 'push', provider: 'gitea', repository: 'gitea/webhooks' }),
    ]);

    const again = await postGitea(server.url, 'push', giteaFixture('push'), {
      deliveryId: 'f6266f16-1bf3-46a5-9ea4-602e06ead473',
    });
    expect(again.body).toEqual({ delivery: answer.body.delivery, duplicate: true });
  });

  it('a Forgejo delivery is keyed by X-Forgejo-Delivery and named by X-Forgejo-Event', async () => {
    const answer = await postGitea(server.url, 'push', giteaFixture('forgejo_push'), {
      deliveryId: 'forgejo-1',
      forgejo: true,
    });
    expect(answer.status).toBe(202);
    expect((await api('GET', `/deliveries/${answer.body.delivery}`)).body).toMatchObject({
      provider: 'gitea',
      event: 'push',
      deliveryId: 'forgejo-1',
    });
  });

  it('a bad signature is 401, stores nothing, and is audited as a gitea refusal', async () => {
    const answer = await postGitea(server.url, 'push', giteaFixture('push'), { secret: 'wrong' });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ reason: 'bad-signature' });
    expect((await api('GET', '/deliveries?provider=gitea')).body.items).toEqual([]);
    const rejected = (await api('GET', '/audit?action=webhook.rejected')).body.items;
    expect(rejected[0]).toMatchObject({ targetId: 'gitea', after: { reason: 'bad-signature' } });
  });

  it('a signed delivery without an event header is 400 no-event, and nothing is stored', async () => {
    const body = JSON.stringify(giteaFixture('push'));
    const headers = giteaHeaders('push', body);
    for (const name of ['x-gitea-event', 'x-gogs-event', 'x-github-event']) delete headers[name];
    const response = await fetch(`${server.url}/webhooks/gitea`, {
      method: 'POST',
      headers,
      body,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ reason: 'no-event' });
    expect((await api('GET', '/deliveries?provider=gitea')).body.items).toEqual([]);
  });
});
