import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { dumpDatabase } from '../support/dump-database.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

const document = (id: string, title: string, extra = '') =>
  `---\nid: ${id}\ntitle: ${title}\nstatus: ready\n${extra}---\n\n# ${id}\n`;

describeEachStore('POST /api/v1/batch', (open) => {
  let server: TestServer;
  const api = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token, ...options });
  const batch = (atomic: boolean, operations: unknown[], headers?: Record<string, string>) =>
    api('POST', '/batch', { json: { atomic, operations }, ...(headers ? { headers } : {}) });
  const start = async (config?: Partial<Config>) => {
    server = await startTestServer(await open(), config === undefined ? {} : { config });
  };
  const seed = () =>
    api('POST', '/stories/import', { json: { documents: fixtureStories().map((s) => s.text) } });
  const statuses = (answer: { body: { results: { status: number }[] } }) =>
    answer.body.results.map((result) => result.status);

  beforeEach(async () => {
    await start();
  });
  afterEach(async () => {
    await server.close();
  });

  it('applies 1,000 operations atomically: one request, one transaction, one batch id', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `BAT-${i + 1}`);
    const created = await batch(
      true,
      ids.map((id) => ({ op: 'create', story: { id, title: `Story ${id}`, labels: ['batch'] } })),
    );
    expect(created.status).toBe(200);
    expect(created.body.atomic).toBe(true);
    expect(created.body.results).toHaveLength(1000);
    expect(new Set(statuses(created))).toEqual(new Set([201]));
    expect(created.body.results[999].story).toMatchObject({ id: 'BAT-1000', version: 1 });

    const moved = await batch(
      true,
      ids.map((id) => ({ op: 'transition', id, to: 'ready' })),
    );
    expect(moved.status).toBe(200);
    expect(moved.body.results.map((r: any) => [r.status, r.story.status, r.story.version])).toEqual(
      ids.map(() => [200, 'ready', 2]),
    );
    expect(await server.store.stories.countStories()).toBe(1000);
    const audit = await api('GET', `/audit?batch=${moved.body.batch}&limit=500`);
    expect(audit.body.items).toHaveLength(500);
    expect(audit.body.nextCursor).not.toBeNull();
  });

  it('answers each kind of operation in request order', async () => {
    await seed();
    const answer = await batch(true, [
      { op: 'create', story: { id: 'NEW-1', title: 'New', body: '# New\n' } },
      { op: 'update', id: 'INT-003', changes: { title: 'Renamed', labels: ['x'] }, version: 1 },
      { op: 'transition', id: 'NEW-1', to: 'ready', reason: 'groomed' },
      {
        op: 'link',
        id: 'NEW-1',
        link: {
          type: 'pr',
          repository: 'acme/shop',
          key: '42',
          url: 'https://git/pr/42',
          state: 'open',
        },
      },
      {
        op: 'link',
        id: 'NEW-1',
        link: { type: 'pr', repository: 'acme/shop', key: '42', state: 'merged' },
      },
      { op: 'delete', id: 'UI-007' },
      { op: 'import', document: document('IMP-1', 'Imported') },
      { op: 'import', document: fixtureStories().find((s) => s.id === 'API-001')!.text },
    ]);
    expect(answer.status).toBe(200);
    expect(statuses(answer)).toEqual([201, 200, 200, 201, 200, 204, 201, 200]);
    const [create, update, move, link, relink, remove, imported, unchanged] = answer.body.results;
    expect(create.story).toMatchObject({ id: 'NEW-1', status: 'draft', version: 1 });
    expect(update.story).toMatchObject({ id: 'INT-003', title: 'Renamed', version: 2 });
    expect(move.story).toMatchObject({ id: 'NEW-1', status: 'ready', version: 2 });
    expect(link.link).toMatchObject({ story: 'NEW-1', type: 'pr', key: '42', state: 'open' });
    expect(relink.link).toMatchObject({ state: 'merged', url: 'https://git/pr/42' });
    expect(remove).toEqual({ status: 204, id: 'UI-007' });
    expect(imported).toMatchObject({ action: 'created', story: { id: 'IMP-1', status: 'ready' } });
    expect(unchanged).toMatchObject({ action: 'unchanged', story: { id: 'API-001', version: 1 } });

    expect((await api('GET', '/stories/UI-007')).status).toBe(404);
    expect((await api('GET', '/stories/IMP-1.md')).text).toBe(document('IMP-1', 'Imported'));
    expect(await server.store.links.listLinks('NEW-1')).toHaveLength(1);
    const history = await api('GET', '/stories/NEW-1/history');
    expect(history.body.items.map((e: any) => e.action)).toEqual([
      'story.created',
      'story.transitioned',
      'story.linked',
      'story.linked',
    ]);
    expect(history.body.items[1].reason).toBe('groomed');
  });

  it('audits every applied change with the one batch id it answers', async () => {
    await seed();
    const before = (await api('GET', '/audit?limit=500')).body.items.length;
    const answer = await batch(true, [
      { op: 'transition', id: 'INT-003', to: 'ready' },
      { op: 'transition', id: 'INT-003', to: 'ready' }, // already there: no change, no entry
      { op: 'update', id: 'INT-004', changes: { estimate: '5sp' } },
      { op: 'create', story: { id: 'AUD-1', title: 'Audited' } },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.batch).toMatch(/^bat_/);
    const entries = (await api('GET', `/audit?batch=${answer.body.batch}`)).body.items;
    expect(entries.map((e: any) => [e.action, e.targetId])).toEqual([
      ['story.transitioned', 'INT-003'],
      ['story.updated', 'INT-004'],
      ['story.created', 'AUD-1'],
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({ batchId: answer.body.batch, actor: { type: 'token' } });
    }
    const all = (await api('GET', '/audit?limit=500')).body.items;
    expect(all).toHaveLength(before + 3);
    expect((await api('GET', '/audit/verify')).body.ok).toBe(true);

    // A non-atomic batch audits what it applied, and only that.
    const partial = await batch(false, [
      { op: 'transition', id: 'INT-003', to: 'accepted' },
      { op: 'transition', id: 'INT-003', to: 'in_progress' },
    ]);
    const partialEntries = (await api('GET', `/audit?batch=${partial.body.batch}`)).body.items;
    expect(partialEntries.map((e: any) => e.action)).toEqual(['story.transitioned']);
    expect((await api('GET', '/audit/verify')).body.ok).toBe(true);
  });

  it('an atomic batch that fails leaves the whole database exactly as it was', async () => {
    await seed();
    const applied = [
      { op: 'create', story: { id: 'NEW-2', title: 'Would be created', labels: ['a'] } },
      { op: 'update', id: 'INT-003', changes: { title: 'Would be renamed' } },
      { op: 'transition', id: 'INT-004', to: 'in_progress' },
      {
        op: 'link',
        id: 'INT-004',
        link: { type: 'branch', repository: 'acme/shop', key: 'int-004' },
      },
      { op: 'delete', id: 'UI-007' },
      { op: 'import', document: document('IMP-2', 'Would be imported') },
    ];
    const failures = [
      {
        op: { op: 'transition', id: 'NEW-2', to: 'accepted' },
        status: 409,
        type: 'transition-not-allowed',
      },
      {
        op: { op: 'update', id: 'INT-003', changes: { title: 'x' }, version: 1 },
        status: 412,
        type: 'precondition-failed',
      },
      { op: { op: 'delete', id: 'NOPE-1' }, status: 404, type: 'story-not-found' },
      {
        op: { op: 'create', story: { id: 'API-001', title: 'Twice' } },
        status: 409,
        type: 'story-exists',
      },
      {
        op: { op: 'link', id: 'UI-007', link: { type: 'pr', repository: 'a/b', key: '1' } },
        status: 404,
        type: 'story-not-found',
      },
    ];
    const before = await dumpDatabase(server.store);
    for (const failure of failures) {
      const answer = await batch(true, [...applied, failure.op]);
      expect(answer.status).toBe(failure.status);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({
        type: `urn:storyflow:problem:${failure.type}`,
        operation: applied.length,
        op: failure.op.op,
        rolledBack: true,
      });
      expect(answer.body.detail).toContain(`operations[${applied.length}]`);
      expect(await dumpDatabase(server.store)).toEqual(before);
    }
    // The same operations without the failing one apply.
    expect((await batch(true, applied)).status).toBe(200);
    expect(await dumpDatabase(server.store)).not.toEqual(before);
  });

  it('a stale version fails an atomic batch even after its own earlier changes', async () => {
    await seed();
    const before = await dumpDatabase(server.store);
    const answer = await batch(true, [
      { op: 'update', id: 'INT-003', changes: { title: 'One' }, version: 1 },
      { op: 'update', id: 'INT-003', changes: { title: 'Two' }, version: 1 },
    ]);
    expect(answer.status).toBe(412);
    expect(answer.body).toMatchObject({ operation: 1, currentVersion: 2 });
    expect(answer.headers.get('etag')).toBeNull();
    expect(await dumpDatabase(server.store)).toEqual(before);
  });

  it('validates the whole batch before writing: each problem names its operation and field', async () => {
    await seed();
    const before = await dumpDatabase(server.store);
    const operations = [
      { op: 'create', story: { id: 'DUP-1', title: 'First' } },
      { op: 'frobnicate', id: 'INT-003' },
      { op: 'transition', id: 'not an id', to: 'ready' },
      { op: 'create', story: { id: 'DUP-1', title: 'Second' } },
      { op: 'transition', id: 'INT-003', to: 'shipped' },
      { op: 'import', document: '---\nid: DUP-1\ntitle: Third\n---\n' },
      { op: 'import', document: '---\nid: BAD-2\ntitle: Fine\nlabels: not-a-list\n---\nbody\n' },
      { op: 'update', id: 'INT-003', changes: { status: 'nowhere' } },
      { op: 'delete', id: 'INT-003', extra: true },
      { op: 'link', id: 'INT-003', link: { type: 'tag', repository: 'a/b', key: 'v1' } },
      { op: 'create', story: { id: 'NEW-3' } },
    ];
    for (const atomic of [true, false]) {
      const answer = await batch(atomic, operations);
      expect(answer.status).toBe(400);
      expect(answer.body.type).toBe('urn:storyflow:problem:validation');
      const fields = answer.body.errors.map((e: { field: string }) => e.field);
      expect(fields).toEqual(
        expect.arrayContaining([
          'operations[1].op',
          'operations[2].id',
          'operations[3].story.id',
          'operations[4].to',
          'operations[5].document.id',
          'operations[6].document.labels',
          'operations[7].changes.status',
          'operations[8].extra',
          'operations[9].link.type',
          'operations[10].story.title',
        ]),
      );
      const byField = (field: string) =>
        answer.body.errors.find((e: { field: string }) => e.field === field);
      expect(byField('operations[1].op').message).toContain('unknown operation "frobnicate"');
      expect(byField('operations[3].story.id').message).toContain('operations[0]');
      expect(byField('operations[5].document.id').message).toContain('operations[0]');
      expect(byField('operations[6].document.labels').line).toBe(4);
      expect(answer.body.detail).toContain('operations[');
      expect(await dumpDatabase(server.store)).toEqual(before);
    }
  });

  it('non-atomic: every operation answers for itself and the others are applied', async () => {
    await seed();
    const answer = await batch(false, [
      { op: 'create', story: { id: 'PART-1', title: 'Partial' } },
      { op: 'transition', id: 'PART-1', to: 'accepted' },
      { op: 'update', id: 'INT-003', changes: { title: 'Stale' }, version: 7 },
      { op: 'delete', id: 'GONE-1' },
      { op: 'create', story: { id: 'API-001', title: 'Exists' } },
      { op: 'transition', id: 'PART-1', to: 'ready' },
      { op: 'update', id: 'INT-003', changes: { title: 'Fresh' }, version: 1 },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.atomic).toBe(false);
    expect(statuses(answer)).toEqual([201, 409, 412, 404, 409, 200, 200]);
    const problems = answer.body.results.map((r: any) => r.problem?.type ?? null);
    expect(problems).toEqual([
      null,
      'urn:storyflow:problem:transition-not-allowed',
      'urn:storyflow:problem:precondition-failed',
      'urn:storyflow:problem:story-not-found',
      'urn:storyflow:problem:story-exists',
      null,
      null,
    ]);
    expect(answer.body.results[1].problem).toMatchObject({
      status: 409,
      from: 'draft',
      to: 'accepted',
    });
    expect(answer.body.results[2].problem).toMatchObject({ status: 412, currentVersion: 1 });
    expect((await api('GET', '/stories/PART-1')).body).toMatchObject({
      status: 'ready',
      version: 2,
    });
    expect((await api('GET', '/stories/INT-003')).body).toMatchObject({
      title: 'Fresh',
      version: 2,
    });
  });

  it('more than 1,000 operations: 413 naming the limit, nothing applied', async () => {
    const before = await dumpDatabase(server.store);
    const operations = Array.from({ length: 1001 }, (_, i) => ({
      op: 'create',
      story: { id: `BIG-${i + 1}`, title: 'Too many' },
    }));
    const answer = await batch(true, operations);
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({
      type: 'urn:storyflow:problem:batch-too-large',
      maxOperations: 1000,
      operations: 1001,
    });
    expect(answer.body.detail).toContain('1000');
    expect(await dumpDatabase(server.store)).toEqual(before);
  });

  it('a body over batch.maxBodyBytes: 413 naming the byte limit', async () => {
    await server.close();
    const defaults = loadConfig({ cwd: '/nonexistent' });
    await start({ batch: { ...defaults.batch, maxBodyBytes: 4096 } });
    const operations = Array.from({ length: 20 }, (_, i) => ({
      op: 'create',
      story: { id: `BIG-${i + 1}`, title: 'x'.repeat(300) },
    }));
    const answer = await batch(true, operations);
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({
      type: 'urn:storyflow:problem:batch-too-large',
      maxBodyBytes: 4096,
    });
    expect(answer.body.detail).toContain('4096 bytes');
    expect(await server.store.stories.countStories()).toBe(0);
    // Other routes keep their own limit.
    const story = await api('POST', '/stories', { json: { id: 'OK-1', title: 'x'.repeat(5000) } });
    expect(story.status).toBe(201);
  });

  it('needs stories:write, and is retry-safe with an Idempotency-Key', async () => {
    const reader = await api('POST', '/tokens', {
      json: { name: 'reader', scopes: ['stories:read'] },
    });
    const denied = await http(server.url, 'POST', '/api/v1/batch', {
      token: reader.body.token,
      json: { operations: [{ op: 'delete', id: 'X-1' }] },
    });
    expect(denied.status).toBe(403);

    const operations = [{ op: 'create', story: { id: 'RET-1', title: 'Once' } }];
    const first = await batch(true, operations, { 'idempotency-key': 'batch-1' });
    expect(first.status).toBe(200);
    const audited = (await api('GET', '/audit?limit=500')).body.items.length;
    const retry = await batch(true, operations, { 'idempotency-key': 'batch-1' });
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.text).toBe(first.text); // same batch id, same results
    expect((await api('GET', '/audit?limit=500')).body.items.length).toBe(audited);
    expect((await api('GET', '/stories/RET-1')).body.version).toBe(1);
  });

  it('atomic is the default; an empty batch is fine', async () => {
    const answer = await api('POST', '/batch', {
      json: { operations: [{ op: 'create', story: { id: 'DEF-1', title: 'x' } }] },
    });
    expect(answer.body.atomic).toBe(true);
    const empty = await batch(true, []);
    expect(empty.status).toBe(200);
    expect(empty.body.results).toEqual([]);
    const missing = await api('POST', '/batch', { json: { atomic: true } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].field).toBe('operations');
  });
});
