import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KyselyStore } from '../../src/storage/kysely-store.js';
import { fixtureStories, seedStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

describeEachStore('audit log over HTTP', (open) => {
  let server: TestServer;
  const api = (method: string, path: string, options: Parameters<typeof http>[3] = {}) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token, ...options });

  beforeEach(async () => {
    server = await startTestServer(await open());
  });
  afterEach(async () => {
    await server.close();
  });

  it('every story change is one audit entry naming the token, request, and what changed', async () => {
    const created = await api('POST', '/tokens', {
      json: { name: 'release-bot', scopes: ['stories:write'] },
    });
    const bot = created.body.token as string;
    await api('POST', '/stories/import', { json: { documents: [fixtureStories()[2]!.text] } });
    await http(server.url, 'POST', '/api/v1/stories/INT-003/transitions', {
      token: bot,
      json: { to: 'in_progress', reason: 'branch pushed' },
      headers: { 'x-request-id': 'req-transition-1' },
    });
    await http(server.url, 'PATCH', '/api/v1/stories/INT-003', {
      token: bot,
      json: { priority: 'high' },
    });
    await api('DELETE', '/stories/INT-003');

    const history = await api('GET', '/stories/INT-003/history');
    expect(history.status).toBe(200);
    const entries = history.body.items;
    expect(entries.map((entry: { action: string }) => entry.action)).toEqual([
      'story.imported',
      'story.transitioned',
      'story.updated',
      'story.deleted',
    ]);
    expect(entries[0].before).toBeNull();
    expect(entries[0].after).toMatchObject({ id: 'INT-003', status: 'draft', version: 1 });
    expect(entries[1]).toMatchObject({
      actor: { type: 'token', id: created.body.id, name: 'release-bot' },
      before: { status: 'draft' },
      after: { status: 'in_progress' },
      requestId: 'req-transition-1',
      reason: 'branch pushed',
      targetType: 'story',
      targetId: 'INT-003',
    });
    expect(entries[2]).toMatchObject({
      before: { priority: 'medium' },
      after: { priority: 'high' },
    });
    expect(entries[3]).toMatchObject({
      actor: { name: 'STORYFLOW_ADMIN_TOKEN' },
      after: null,
      before: { id: 'INT-003', priority: 'high' },
    });
    for (let index = 1; index < entries.length; index++) {
      expect(entries[index].prevHash).toBe(entries[index - 1].hash);
    }
  });

  it('filters the log by story, actor, action and time, with a cursor', async () => {
    await api('POST', '/stories/import', {
      json: { documents: seedStories().map((story) => story.text) },
    });
    await api('POST', '/stories/INT-004/transitions', { json: { to: 'in_progress' } });
    const byAction = await api('GET', '/audit?action=story.transitioned');
    expect(byAction.body.items).toHaveLength(1);
    expect((await api('GET', '/audit?story=UI-007')).body.items).toHaveLength(1);
    expect((await api('GET', '/audit?actor=STORYFLOW_ADMIN_TOKEN')).body.items).toHaveLength(7);
    expect((await api('GET', '/audit?since=2999-01-01T00:00:00Z')).body.items).toHaveLength(0);
    const first = await api('GET', '/audit?limit=4');
    expect(first.body.items).toHaveLength(4);
    const second = await api('GET', `/audit?limit=4&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((entry: { seq: number }) => entry.seq)).toEqual([5, 6, 7]);
    expect(second.body.nextCursor).toBeNull();
  });

  it('token creation and revocation are audited without the secret', async () => {
    const created = await api('POST', '/tokens', { json: { name: 'ci', scopes: ['ci:events'] } });
    await api('DELETE', `/tokens/${created.body.id}`);
    const log = await api('GET', `/audit?action=token.created`);
    expect(log.body.items[0]).toMatchObject({ targetType: 'token', targetId: created.body.id });
    const revoked = await api('GET', `/audit?action=token.revoked`);
    expect(revoked.body.items).toHaveLength(1);
    const everything = (await api('GET', '/audit?limit=500')).text;
    expect(everything).not.toContain(created.body.token);
    expect(everything).not.toContain(server.token);
  });

  it('verify finds an entry edited directly in the database, by API and CLI', async () => {
    await api('POST', '/stories/import', {
      json: { documents: seedStories().map((story) => story.text) },
    });
    const intact = await api('GET', '/audit/verify');
    expect(intact.body).toEqual({ ok: true, checked: 6, lastSeq: 6 });
    const cliOk = await runCliInProcess([
      'audit',
      'verify',
      '--url',
      server.url,
      '--token',
      server.token,
    ]);
    expect(cliOk.code).toBe(0);
    expect(cliOk.stdout).toContain('Audit log intact: 6 entries verified');

    const db = (server.store as KyselyStore).kysely;
    await sql`update audit_entries set after_json = ${'{"status":"accepted"}'} where seq = 3`.execute(
      db,
    );

    const broken = await api('GET', '/audit/verify');
    expect(broken.body).toMatchObject({
      ok: false,
      checked: 2,
      firstBreak: { seq: 3, reason: 'content-altered' },
    });
    const cliBroken = await runCliInProcess([
      'audit',
      'verify',
      '--url',
      server.url,
      '--token',
      server.token,
    ]);
    expect(cliBroken.code).toBe(1);
    expect(cliBroken.stderr).toContain('audit log broken at entry 3 (content-altered)');
  });

  it('history of a story that never existed is 404', async () => {
    expect((await api('GET', '/stories/NOPE-1/history')).status).toBe(404);
  });
});
