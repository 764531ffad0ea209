// The console's outbox page over real HTTP: the calls queued for forges, dead ones first, each
// with its last error, and a retry behind CSRF and deliveries:admin (as the API's).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open-store.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { signIn } from './console-support.js';

let server: TestServer;
const at = '2026-12-03T12:00:00.000Z';

beforeEach(async () => {
  server = await startTestServer(await openStore('sqlite::memory:'));
  const { outbox } = server.store;
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
  // The first version of the row, as a sender that gave up on it marks it.
  await outbox.markFailed('out_status', 1, 'POST /repos/acme/shop/statuses/…: 422 <b>', 'dead', at);
});
afterEach(async () => server.close());

const rowsOf = (page: string) =>
  [...page.matchAll(/<tr data-outbox="([^"]+)">(.*?)<\/tr>/gs)].map((match) => ({
    id: match[1],
    row: match[2] ?? '',
  }));

describe('console outbox', () => {
  it('lists dead calls first with their attempts and escaped last error, and links it in the menu', async () => {
    const client = await signIn(server.url, server.token);
    const response = await client.get('/outbox');
    expect(response.status).toBe(200);
    const page = await response.text();
    const rows = rowsOf(page);
    expect(rows.map((row) => row.id)).toEqual(['out_status', 'out_comment']);
    const attempts = (await server.store.outbox.get('out_status'))?.attempts;
    expect(rows[0]?.row).toContain(`<td class="status-dead">dead</td><td>${attempts}</td>`);
    expect(rows[0]?.row).toContain('422 &lt;b&gt;');
    expect(rows[1]?.row).toContain('<td class="status-pending">pending</td>');
    expect(page).toContain('<a href="/outbox" aria-current="page">Outbox</a>');
    // No forge in this server's config: the page says how to turn the outbox on.
    expect(page).toContain('No forge is configured');
    const dead = rowsOf(await (await client.get('/outbox?status=dead')).text());
    expect(dead.map((row) => row.id)).toEqual(['out_status']);
  });

  it('retries a dead call with the CSRF token: pending again, attempts reset; refused without it', async () => {
    const client = await signIn(server.url, server.token);
    expect((await client.post('/outbox/out_status/retry', {})).status).toBe(403);
    expect((await server.store.outbox.get('out_status'))?.status).toBe('dead');

    const retried = await client.post('/outbox/out_status/retry', { _csrf: await client.csrf() });
    expect(retried.status).toBe(303);
    expect(retried.headers.get('location')).toBe('/outbox?retried=out_status');
    expect(await server.store.outbox.get('out_status')).toMatchObject({
      status: 'pending',
      attempts: 0,
    });
    const after = await (await client.get('/outbox?retried=out_status')).text();
    expect(after).toContain('out_status is due again.');

    const unknown = await client.post('/outbox/out_nothing/retry', {
      _csrf: await client.csrf(),
    });
    expect(unknown.status).toBe(404);
  });

  it('keeps the page, its menu entry and the retry from a token without deliveries:admin', async () => {
    const reader = (
      await http(server.url, 'POST', '/api/v1/tokens', {
        token: server.token,
        json: { name: 'reader', scopes: ['stories:read'] },
      })
    ).body.token as string;
    const client = await signIn(server.url, reader);
    expect((await client.get('/outbox')).status).toBe(403);
    expect(await (await client.get('/')).text()).not.toContain('href="/outbox"');
    const refused = await client.post('/outbox/out_status/retry', { _csrf: await client.csrf() });
    expect(refused.status).toBe(403);
    expect((await server.store.outbox.get('out_status'))?.status).toBe('dead');
  });
});
