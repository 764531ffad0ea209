// GET /api/v1/outbox and POST /api/v1/outbox/{id}/retry, and `storyflow outbox list|retry`
// over them: what is queued for forges, seen and retried by people with deliveries:admin.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { http } from '../support/http.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

describeEachStore('outbox API and CLI', (open) => {
  let server: TestServer;
  const api = (method: string, path: string, token?: string) =>
    http(server.url, method, `/api/v1${path}`, { token: token ?? server.token });
  const at = '2026-12-03T12:00:00.000Z';

  beforeEach(async () => {
    server = await startTestServer(await open());
    const outbox = server.store.outbox;
    await outbox.enqueue({
      id: 'out_comment',
      forge: 'github:acme',
      kind: 'comment',
      target: 'acme/shop#12',
      payload: { repository: 'acme/shop', number: 12, body: 'x' },
      at,
    });
    await outbox.enqueue({
      id: 'out_status',
      forge: 'github:acme',
      kind: 'status',
      target: `acme/shop@${'a'.repeat(40)}`,
      payload: {},
      at,
    });
    await outbox.markFailed('out_status', 1, 'POST /repos/acme/shop/statuses/…: 422', 'dead', at);
  });
  afterEach(async () => {
    await server.close();
  });

  it('lists every queued call with its status, attempts and last error; filters by status', async () => {
    const all = await api('GET', '/outbox');
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(2);
    expect(all.body.items).toContainEqual(
      expect.objectContaining({
        id: 'out_status',
        forge: 'github:acme',
        kind: 'status',
        status: 'dead',
        attempts: 1,
        lastError: 'POST /repos/acme/shop/statuses/…: 422',
      }),
    );
    expect(JSON.stringify(all.body)).not.toContain('payload');
    const dead = await api('GET', '/outbox?status=dead');
    expect(dead.body.items.map((item: { id: string }) => item.id)).toEqual(['out_status']);
    expect((await api('GET', '/outbox?status=lost')).status).toBe(400);
  });

  it('retry makes a dead call pending again with its attempts reset; an unknown id is 404', async () => {
    const retried = await api('POST', '/outbox/out_status/retry');
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: 'out_status', status: 'pending', attempts: 0 });
    expect((await api('POST', '/outbox/out_nothing/retry')).status).toBe(404);
  });

  it('needs deliveries:admin', async () => {
    const reader = (
      await http(server.url, 'POST', '/api/v1/tokens', {
        token: server.token,
        json: { name: 'reader', scopes: ['stories:read'] },
      })
    ).body.token as string;
    expect((await api('GET', '/outbox', reader)).status).toBe(403);
    expect((await api('POST', '/outbox/out_status/retry', reader)).status).toBe(403);
  });

  it('storyflow outbox list prints one line per call; outbox retry says it is due again', async () => {
    const target = ['--url', server.url, '--token', server.token];
    const list = await runCliInProcess(['outbox', 'list', '--status', 'dead', ...target]);
    expect(list.code).toBe(0);
    expect(list.stdout).toBe(
      `out_status  dead  1 attempt(s)  github:acme  status  acme/shop@${'a'.repeat(40)}  ` +
        'POST /repos/acme/shop/statuses/…: 422\n',
    );
    const retry = await runCliInProcess(['outbox', 'retry', 'out_status', ...target]);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toMatch(/^out_status: pending, due 20\d\d-/);
    const missing = await runCliInProcess(['outbox', 'retry', 'out_nothing', ...target]);
    expect(missing.code).toBe(1);
  });
});
