import { afterEach, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import type { Clock } from '../../src/domain/clock.js';
import { requestFingerprint } from '../../src/services/idempotency-service.js';
import type { Store } from '../../src/storage/store.js';
import { type HoldingStore, holdingStore } from '../support/holding-store.js';
import { type HttpResult, http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import {
  describeEachStore,
  dropPostgresSchema,
  openPostgresStoreInSchema,
  uniqueSchemaName,
} from '../support/store-factories.js';

const ADMIN_PRINCIPAL = 'env:STORYFLOW_ADMIN_TOKEN';
const HOUR = 3_600_000;

/** A clock the test moves by hand. */
function manualClock(start = Date.parse('2025-09-01T10:00:00.000Z')) {
  let now = start;
  const clock: Clock = { now: () => new Date(now) };
  return { clock, advance: (ms: number) => (now += ms) };
}

describeEachStore('Idempotency-Key', (open, factory) => {
  const servers: TestServer[] = [];
  let server: TestServer;
  let holding: HoldingStore;

  const start = async (
    options: { clock?: Clock; config?: Partial<Config>; store?: Store } = {},
  ): Promise<TestServer> => {
    holding = holdingStore(options.store ?? (await open()));
    const started = await startTestServer(holding.store, {
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.config === undefined ? {} : { config: options.config }),
    });
    servers.push(started);
    server = started;
    return started;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((each) => each.close()));
  });

  const api = (
    method: string,
    path: string,
    options: Parameters<typeof http>[3] & { key?: string; on?: TestServer } = {},
  ) => {
    const { key, on, ...rest } = options;
    const target = on ?? server;
    return http(target.url, method, `/api/v1${path}`, {
      token: target.token,
      ...rest,
      headers: { ...rest.headers, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    });
  };
  const auditCount = async () => (await api('GET', '/audit?limit=500')).body.items.length as number;
  const sameAnswer = (replay: HttpResult, first: HttpResult) => {
    expect(replay.status).toBe(first.status);
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(replay.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(replay.headers.get('location')).toBe(first.headers.get('location'));
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  };

  it('replays a POST: same status, body, ETag and Location, marked replayed, and nothing runs again', async () => {
    await start();
    const story = { id: 'IDEM-1', title: 'Pay once', labels: ['billing'] };
    const first = await api('POST', '/stories', { json: story, key: 'create-idem-1' });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const audited = await auditCount();

    const replay = await api('POST', '/stories', { json: story, key: 'create-idem-1' });
    sameAnswer(replay, first);
    // The same JSON in another key order and spacing is the same request.
    const reordered = await api('POST', '/stories', {
      json: { labels: ['billing'], title: 'Pay once', id: 'IDEM-1' },
      key: 'create-idem-1',
    });
    sameAnswer(reordered, first);

    expect((await api('GET', '/stories/IDEM-1')).headers.get('etag')).toBe('"1"');
    expect(await auditCount()).toBe(audited);
    // The replay is a new request: its own request id.
    expect(replay.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
  });

  it('replays a PATCH and a transition without changing the version again', async () => {
    await start();
    await api('POST', '/stories', { json: { id: 'IDEM-2', title: 'Patch me' } });
    const patch = await api('PATCH', '/stories/IDEM-2', {
      json: { title: 'Patched once' },
      key: 'patch-idem-2',
    });
    expect(patch.status).toBe(200);
    expect(patch.headers.get('etag')).toBe('"2"');
    const move = await api('POST', '/stories/IDEM-2/transitions', {
      json: { to: 'ready' },
      key: 'move-idem-2',
    });
    expect(move.body.version).toBe(3);
    const audited = await auditCount();

    sameAnswer(
      await api('PATCH', '/stories/IDEM-2', {
        json: { title: 'Patched once' },
        key: 'patch-idem-2',
      }),
      patch,
    );
    sameAnswer(
      await api('POST', '/stories/IDEM-2/transitions', {
        json: { to: 'ready' },
        key: 'move-idem-2',
      }),
      move,
    );
    const story = await api('GET', '/stories/IDEM-2');
    expect(story.body).toMatchObject({ title: 'Patched once', status: 'ready', version: 3 });
    expect(await auditCount()).toBe(audited);
  });

  it('the same key with another body, path or method is refused with 422 and runs nothing', async () => {
    await start();
    await api('POST', '/stories', { json: { id: 'IDEM-3', title: 'First' }, key: 'k-3' });
    const otherBody = await api('POST', '/stories', {
      json: { id: 'IDEM-4', title: 'Second' },
      key: 'k-3',
    });
    expect(otherBody.status).toBe(422);
    expect(otherBody.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(otherBody.body).toMatchObject({
      type: 'urn:storyflow:problem:idempotency-key-reused',
      status: 422,
      idempotencyKey: 'k-3',
    });
    expect((await api('GET', '/stories/IDEM-4')).status).toBe(404);

    const otherPath = await api('POST', '/stories/IDEM-3/transitions', {
      json: { to: 'ready' },
      key: 'k-3',
    });
    expect(otherPath.status).toBe(422);
    const otherMethod = await api('PATCH', '/stories/IDEM-3', { json: { title: 'x' }, key: 'k-3' });
    expect(otherMethod.status).toBe(422);
    // So is another precondition.
    await api('PATCH', '/stories/IDEM-3', { json: { title: 'y' }, key: 'k-5' });
    const otherIfMatch = await api('PATCH', '/stories/IDEM-3', {
      json: { title: 'y' },
      key: 'k-5',
      headers: { 'if-match': '"1"' },
    });
    expect(otherIfMatch.status).toBe(422);
    expect((await api('GET', '/stories/IDEM-3')).body).toMatchObject({
      status: 'draft',
      version: 2,
    });
  });

  it('stores 4xx answers too; a request the schema rejects claims nothing', async () => {
    await start();
    await api('POST', '/stories', { json: { id: 'IDEM-6', title: 'Exists' } });
    const conflict = await api('POST', '/stories', {
      json: { id: 'IDEM-6', title: 'Exists' },
      key: 'dup',
    });
    expect(conflict.status).toBe(409);
    await api('DELETE', '/stories/IDEM-6');
    // The story is gone, but the key answers what it answered: the request is not run again.
    sameAnswer(
      await api('POST', '/stories', { json: { id: 'IDEM-6', title: 'Exists' }, key: 'dup' }),
      conflict,
    );
    expect((await api('GET', '/stories/IDEM-6')).status).toBe(404);

    const invalid = await api('POST', '/stories', { json: { id: 'bad id' }, key: 'fix-me' });
    expect(invalid.status).toBe(400);
    const fixed = await api('POST', '/stories', {
      json: { id: 'IDEM-7', title: 'Fixed' },
      key: 'fix-me',
    });
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
  });

  it('a 5xx answer releases the key, so the retry runs', async () => {
    await start();
    holding.failNextTransaction();
    const failed = await api('POST', '/stories', {
      json: { id: 'IDEM-8', title: 'Retry me' },
      key: 'flaky',
    });
    expect(failed.status).toBe(500);
    const retry = await api('POST', '/stories', {
      json: { id: 'IDEM-8', title: 'Retry me' },
      key: 'flaky',
    });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
  });

  it('while the first request runs, the same key answers 409; once it is done, the answer replays', async () => {
    await start();
    const body = { id: 'IDEM-9', title: 'Slow' };
    const hold = holding.holdNextTransaction();
    const first = api('POST', '/stories', { json: body, key: 'slow' });
    await hold.entered;

    const concurrent = await Promise.all([
      api('POST', '/stories', { json: body, key: 'slow' }),
      api('POST', '/stories', { json: body, key: 'slow' }),
    ]);
    for (const answer of concurrent) {
      expect(answer.status).toBe(409);
      expect(answer.body.type).toBe('urn:storyflow:problem:idempotency-key-in-flight');
      expect(answer.headers.get('retry-after')).toBe('1');
    }
    // Another key is not blocked by it.
    const other = await api('POST', '/stories', {
      json: { id: 'IDEM-10', title: 'Fast' },
      key: 'fast',
    });
    expect(other.status).toBe(201);

    hold.release();
    const done = await first;
    expect(done.status).toBe(201);
    sameAnswer(await api('POST', '/stories', { json: body, key: 'slow' }), done);
    expect((await api('GET', '/stories/IDEM-9')).body.version).toBe(1);
  });

  it('a request running longer than the lease keeps its key: it renews the lease while it runs', async () => {
    const lease = { ttlHours: 24, inFlightTimeoutSeconds: 0.2, cleanupIntervalSeconds: 600 };
    await start({ config: { idempotency: lease } });
    const body = { id: 'IDEM-31', title: 'Slow but alive' };
    const hold = holding.holdNextTransaction();
    const slow = api('POST', '/stories', { json: body, key: 'alive' });
    await hold.entered;

    // Four leases later the key is still the first request's (renewed every 50 ms).
    await new Promise((resolve) => setTimeout(resolve, 800));
    const retry = await api('POST', '/stories', { json: body, key: 'alive' });
    expect(retry.status).toBe(409);
    expect(retry.body.type).toBe('urn:storyflow:problem:idempotency-key-in-flight');

    hold.release();
    const done = await slow;
    expect(done.status).toBe(201);
    sameAnswer(await api('POST', '/stories', { json: body, key: 'alive' }), done);
  });

  it('the key of a process that died is taken over once its lease (10 s by default) has run out', async () => {
    const time = manualClock();
    await start({ clock: time.clock });
    const body = { id: 'IDEM-32', title: 'Orphan' };
    // What a process killed in the middle of the request leaves: a claim nobody renews.
    const claimedAt = time.clock.now();
    await holding.store.idempotency.insertClaim({
      principalId: ADMIN_PRINCIPAL,
      key: 'orphan',
      requestHash: requestFingerprint({
        method: 'POST',
        url: '/api/v1/stories',
        principalId: ADMIN_PRINCIPAL,
        ifMatch: undefined,
        body,
      }),
      claimId: 'claim-of-a-dead-process',
      createdAt: claimedAt.toISOString(),
      leaseUntil: new Date(claimedAt.getTime() + 10_000).toISOString(),
      expiresAt: new Date(claimedAt.getTime() + 24 * HOUR).toISOString(),
    });
    const retry = await api('POST', '/stories', { json: body, key: 'orphan' });
    expect(retry.status).toBe(409);
    expect(retry.headers.get('retry-after')).toBe('1');

    time.advance(9_000);
    expect((await api('POST', '/stories', { json: body, key: 'orphan' })).status).toBe(409);
    time.advance(1_000);
    const takeover = await api('POST', '/stories', { json: body, key: 'orphan' });
    expect(takeover.status).toBe(201);
    expect(takeover.headers.get('idempotent-replayed')).toBeNull();
    sameAnswer(await api('POST', '/stories', { json: body, key: 'orphan' }), takeover);
    expect((await api('GET', '/stories/IDEM-32')).body.version).toBe(1);
  });

  it('a taken-over key keeps the answer of the request that took it over', async () => {
    const time = manualClock();
    const lease = { ttlHours: 24, inFlightTimeoutSeconds: 10, cleanupIntervalSeconds: 600 };
    await start({ clock: time.clock, config: { idempotency: lease } });
    const body = { id: 'IDEM-33', title: 'Late' };
    // A request stalled past its lease (the clock jumps; the 2.5 s renewal timer has not run).
    const hold = holding.holdNextTransaction();
    const stalled = api('POST', '/stories', { json: body, key: 'late' });
    await hold.entered;
    time.advance(11_000);
    const takeover = await api('POST', '/stories', { json: body, key: 'late' });
    expect(takeover.status).toBe(201);

    // The first request finishes late (story exists: 409); the key keeps the takeover's answer.
    hold.release();
    expect((await stalled).status).toBe(409);
    sameAnswer(await api('POST', '/stories', { json: body, key: 'late' }), takeover);
  });

  it('keys are per token: another token may use the same key for its own request', async () => {
    await start();
    const created = await api('POST', '/tokens', {
      json: { name: 'writer', scopes: ['stories:read', 'stories:write'] },
    });
    expect(created.status).toBe(201);
    const writer = created.body.token as string;
    const asWriter = (json: unknown) =>
      http(server.url, 'POST', '/api/v1/stories', {
        token: writer,
        json,
        headers: { 'idempotency-key': 'shared-key' },
      });

    const admin = await api('POST', '/stories', {
      json: { id: 'IDEM-12', title: 'Admin' },
      key: 'shared-key',
    });
    expect(admin.status).toBe(201);
    // Another body under the same key is fine for another token…
    const mine = await asWriter({ id: 'IDEM-13', title: 'Writer' });
    expect(mine.status).toBe(201);
    expect(mine.headers.get('idempotent-replayed')).toBeNull();
    // …and its replays are its own.
    expect(
      (await asWriter({ id: 'IDEM-13', title: 'Writer' })).headers.get('idempotent-replayed'),
    ).toBe('true');
    expect((await asWriter({ id: 'IDEM-12', title: 'Admin' })).status).toBe(422);
    // The admin's own key still answers the admin's first answer.
    const admins = await api('POST', '/stories', {
      json: { id: 'IDEM-12', title: 'Admin' },
      key: 'shared-key',
    });
    sameAnswer(admins, admin);
  });

  it('expired keys are deleted by the clean-up and may be used again (24 h by default)', async () => {
    const time = manualClock();
    await start({ clock: time.clock });
    await api('POST', '/stories', { json: { id: 'IDEM-14', title: 'Old' }, key: 'old' });
    await api('POST', '/stories', { json: { id: 'IDEM-15', title: 'Old too' }, key: 'older' });
    time.advance(23 * HOUR);
    expect(
      (await api('POST', '/stories', { json: { id: 'IDEM-16', title: 'New' }, key: 'old' })).status,
    ).toBe(422);
    const keys = server.store.idempotency;
    expect(await keys.findKey(ADMIN_PRINCIPAL, 'old')).toMatchObject({ state: 'completed' });

    time.advance(2 * HOUR);
    // An expired key that the clean-up has not reached yet is free again.
    const reused = await api('POST', '/stories', {
      json: { id: 'IDEM-16', title: 'New' },
      key: 'old',
    });
    expect(reused.status).toBe(201);
    expect(reused.headers.get('idempotent-replayed')).toBeNull();

    expect(await server.app.idempotency.cleanup()).toBe(1); // 'older' ('old' was renewed)
    expect(await keys.findKey(ADMIN_PRINCIPAL, 'older')).toBeUndefined();
    expect(await keys.findKey(ADMIN_PRINCIPAL, 'old')).toMatchObject({ state: 'completed' });
    const again = await api('POST', '/stories', {
      json: { id: 'IDEM-17', title: 'Newer' },
      key: 'older',
    });
    expect(again.status).toBe(201);
  });

  it('the time a key is kept is configurable (idempotency.ttlHours)', async () => {
    const time = manualClock();
    const defaults = (await import('../../src/config/load-config.js')).loadConfig({ cwd: '/x' });
    await start({
      clock: time.clock,
      config: { idempotency: { ...defaults.idempotency, ttlHours: 1 } },
    });
    await api('POST', '/stories', { json: { id: 'IDEM-18', title: 'Short' }, key: 'short' });
    time.advance(30 * 60_000);
    expect(
      (await api('POST', '/stories', { json: { id: 'IDEM-19', title: 'x' }, key: 'short' })).status,
    ).toBe(422);
    time.advance(31 * 60_000);
    expect(
      (await api('POST', '/stories', { json: { id: 'IDEM-19', title: 'x' }, key: 'short' })).status,
    ).toBe(201);
  });

  it('refuses a malformed key with 400 and ignores the header on GET and DELETE', async () => {
    await start();
    const long = await api('POST', '/stories', {
      json: { id: 'IDEM-20', title: 'x' },
      key: 'k'.repeat(256),
    });
    expect(long.status).toBe(400);
    expect(long.body.errors[0].field).toBe('header.idempotency-key');
    expect((await api('GET', '/stories/IDEM-20')).status).toBe(404);
    await api('POST', '/stories', { json: { id: 'IDEM-20', title: 'x' } });
    expect((await api('GET', '/stories/IDEM-20', { key: 'get' })).status).toBe(200);
    expect((await api('DELETE', '/stories/IDEM-20', { key: 'get' })).status).toBe(204);
  });

  it('a replayed token creation does not hold the secret (it is never stored)', async () => {
    await start();
    const json = { name: 'ci', scopes: ['ci:events'] };
    const first = await api('POST', '/tokens', { json, key: 'new-token' });
    expect(first.status).toBe(201);
    expect(first.body.token).toMatch(/^sfp_/);
    const replay = await api('POST', '/tokens', { json, key: 'new-token' });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual({ ...first.body, token: null });
    expect(
      (await api('GET', '/tokens')).body.items.filter((t: any) => t.name === 'ci'),
    ).toHaveLength(1);
  });

  if (factory.name === 'postgres') {
    it('works across instances sharing one PostgreSQL database', async () => {
      const schema = uniqueSchemaName('sf_idem');
      try {
        const a = await start({ store: await openPostgresStoreInSchema(schema) });
        const holdA = holding;
        const b = await start({ store: await openPostgresStoreInSchema(schema) });
        const body = { id: 'IDEM-21', title: 'Two instances' };

        const hold = holdA.holdNextTransaction();
        const onA = api('POST', '/stories', { json: body, key: 'shared', on: a });
        await hold.entered;
        const onB = await api('POST', '/stories', { json: body, key: 'shared', on: b });
        expect(onB.status).toBe(409);
        expect(onB.body.type).toBe('urn:storyflow:problem:idempotency-key-in-flight');
        hold.release();
        const first = await onA;
        expect(first.status).toBe(201);
        sameAnswer(await api('POST', '/stories', { json: body, key: 'shared', on: b }), first);
        expect(
          (
            await api('POST', '/stories', {
              json: { ...body, title: 'Other' },
              key: 'shared',
              on: b,
            })
          ).status,
        ).toBe(422);
      } finally {
        await Promise.all(servers.splice(0).map((each) => each.close()));
        await dropPostgresSchema(schema);
      }
    });
  }
});
