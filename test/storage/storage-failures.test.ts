// Storage failures are reported as what they are: a full disk or a lost database connection is
// told apart from a bug (503 `unavailable`, /readyz not ready), and a transaction that SQLite
// rolled back by itself on SQLITE_FULL fails with SQLITE_FULL, not with the error of the
// ROLLBACK that followed ("cannot rollback - no transaction is active").
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.js';
import { storageUnavailableProblem } from '../../src/errors/storage-unavailable-problem.js';
import type { DeliveryHandler } from '../../src/services/inbox/delivery-handler.js';
import { checkStorageReadiness } from '../../src/services/storage-readiness.js';
import type { KyselyStore } from '../../src/storage/kysely-store.js';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import { isStorageUnavailable, storageFailureReason } from '../../src/storage/storage-failure.js';
import { StorageHealth } from '../../src/storage/storage-health.js';
import type { Store } from '../../src/storage/store.js';
import { InboxWorker } from '../../src/worker/inbox-worker.js';
import { githubExample } from '../providers/github/github-examples.js';
import { newDelivery } from '../support/new-delivery.js';
import { useTempDatabaseFiles } from '../support/temp-database-files.js';

const databaseFile = useTempDatabaseFiles('storage-failures');
const stores: KyselyStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

async function openFileStore(): Promise<KyselyStore> {
  const store = await createSqliteStore({ filename: databaseFile() });
  stores.push(store);
  return store;
}

/** No more pages than now: a write that needs a new page fails with SQLITE_FULL. */
async function fillDisk(store: KyselyStore): Promise<void> {
  const { rows } = await sql<{ page_count: number }>`pragma page_count`.execute(store.kysely);
  await sql.raw(`pragma max_page_count = ${rows[0]!.page_count}`).execute(store.kysely);
}

async function allowGrowth(store: KyselyStore): Promise<void> {
  await sql.raw('pragma max_page_count = 1073741823').execute(store.kysely);
}

const BIG = 'x'.repeat(200_000);

/** A handler whose writes need more room than the full disk has. */
const writesTooMuch: DeliveryHandler = {
  async handle(tx) {
    await tx.stories.insertStory({
      id: 'FULL-1',
      document: `---\nid: FULL-1\ntitle: big\n---\n${BIG}\n`,
      version: 1,
      title: 'big',
      status: 'draft',
      epic: null,
      labels: [],
      createdAt: '2026-12-03T00:00:00.000Z',
      updatedAt: '2026-12-03T00:00:00.000Z',
    });
    return { operations: [] } as never;
  },
};

describe('a full disk (SQLite)', () => {
  it('a transaction SQLite rolled back by itself fails with SQLITE_FULL, not the ROLLBACK error', async () => {
    const store = await openFileStore();
    await fillDisk(store);
    const failure = await store
      .transaction((tx) =>
        tx.audit.append([]).then(() => writesTooMuch.handle(tx, {} as never, [])),
      )
      .then(
        () => undefined,
        (error: unknown) => error as { code?: string; message: string },
      );
    expect(failure?.code).toBe('SQLITE_FULL');
    expect(failure?.message).toBe('database or disk is full');
    // The connection is usable again, and nothing of the transaction was kept.
    expect(await store.stories.getStory('FULL-1')).toBeUndefined();
  });

  it('a delivery whose processing hit the full disk records the real cause', async () => {
    const store = await openFileStore();
    // A push that normalizes to events, so the handler runs.
    const push = githubExample('push', (payload) => payload.ref === 'refs/heads/master');
    await store.transaction((tx) =>
      tx.deliveries.insertDeliveries([
        newDelivery('dlv_full', {
          headers: { 'x-github-event': 'push' },
          body: JSON.stringify(push),
        }),
      ]),
    );
    await fillDisk(store);
    const worker = new InboxWorker(store, writesTooMuch, {
      owner: 'test-worker',
      batchSize: 10,
      leaseMs: 30_000,
      pollMs: 1000,
      retrySchedule: [60],
      clock: systemClock,
    });
    expect(await worker.runOnce()).toBe(1);
    const stored = await store.deliveries.getDelivery('dlv_full');
    expect(stored?.status).toBe('failed');
    expect(stored?.lastError).toBe('database or disk is full (SQLITE_FULL)');
  });

  it('/readyz: ready until a write fails, 503 for the hold and while a probe write fails, ready once one commits', async () => {
    const store = await openFileStore();
    let clock = Date.parse('2026-12-03T12:00:00.000Z');
    const options = { holdMs: 5000, now: () => clock };
    expect(await checkStorageReadiness(store, options)).toEqual({ ready: true });
    await fillDisk(store);
    // A select still answers: without a failed write on record, nothing is probed.
    expect(await checkStorageReadiness(store, options)).toEqual({ ready: true });
    await expect(
      store.transaction((tx) => writesTooMuch.handle(tx, {} as never, [])),
    ).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    expect(store.health.lastFailure?.reason).toBe('database or disk is full (SQLITE_FULL)');
    clock = store.health.lastFailure!.atMs + 1000;
    expect(await checkStorageReadiness(store, options)).toEqual({
      ready: false,
      reason: expect.stringMatching(
        /^A write failed at .*: database or disk is full \(SQLITE_FULL\)$/,
      ),
    });
    // After the hold, a probe write that needs new pages decides: the disk is still full.
    clock += 5000;
    expect(await checkStorageReadiness(store, options)).toEqual({
      ready: false,
      reason: expect.stringMatching(
        /^The database cannot write .*: database or disk is full \(SQLITE_FULL\)$/,
      ),
    });
    await allowGrowth(store);
    clock += 5000;
    expect(await checkStorageReadiness(store, options)).toEqual({ ready: true });
    expect(store.health.lastFailure).toBeUndefined();
  });
});

describe('/readyz probe', () => {
  it('a probe write that does not finish (a stuck write lock) answers not ready instead of hanging', async () => {
    const health = new StorageHealth();
    health.noteError(
      Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }),
      0,
    );
    const store = {
      ping: async () => {},
      health,
      probeWrite: () => new Promise<void>(() => {}),
    } as unknown as Store;
    const started = Date.now();
    const readiness = await checkStorageReadiness(store, {
      holdMs: 0,
      probeTimeoutMs: 100,
      now: () => 10_000,
    });
    expect(readiness).toEqual({
      ready: false,
      reason: expect.stringContaining('a probe write took over 100 ms'),
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('which errors are storage failures', () => {
  const coded = (code: string, message: string) => Object.assign(new Error(message), { code });

  it.each([
    [
      'SQLite disk full',
      coded('SQLITE_FULL', 'database or disk is full'),
      'database or disk is full (SQLITE_FULL)',
    ],
    [
      'SQLite write error',
      coded('SQLITE_IOERR_WRITE', 'disk I/O error'),
      'disk I/O error (SQLITE_IOERR_WRITE)',
    ],
    [
      'PostgreSQL shutting down',
      coded('57P01', 'terminating connection due to administrator command'),
      'terminating connection due to administrator command (57P01)',
    ],
    [
      'PostgreSQL starting',
      coded('57P03', 'the database system is starting up'),
      'the database system is starting up (57P03)',
    ],
    [
      'PostgreSQL disk full',
      coded('53100', 'could not extend file'),
      'could not extend file (53100)',
    ],
    [
      'connection refused',
      coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      'connection refused (ECONNREFUSED)',
    ],
    [
      'connection lost (pg)',
      new Error('Connection terminated unexpectedly'),
      'Connection terminated unexpectedly',
    ],
    [
      'dead pg client',
      new Error('Client has encountered a connection error and is not queryable'),
      'Client has encountered a connection error and is not queryable',
    ],
    [
      'every address refused',
      Object.assign(
        new AggregateError([coded('ECONNREFUSED', 'connect ECONNREFUSED ::1:5432')], ''),
        { code: 'ECONNREFUSED' },
      ),
      'connection refused (ECONNREFUSED)',
    ],
  ])(
    '%s: 503 unavailable with Retry-After, naming the cause without the address',
    (_, error, reason) => {
      expect(isStorageUnavailable(error)).toBe(true);
      expect(storageFailureReason(error)).toBe(reason);
      const problem = storageUnavailableProblem(error);
      expect(problem?.status).toBe(503);
      expect(problem?.code).toBe('unavailable');
      expect(problem?.headers['retry-after']).toBe('5');
      expect(problem?.message).toContain(reason);
      expect(problem?.message).not.toContain('5432');
    },
  );

  it.each([
    ['a constraint violation', coded('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed')],
    ['a PostgreSQL unique violation', coded('23505', 'duplicate key value')],
    ['a syntax error', coded('42601', 'syntax error')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['not an error', 'SQLITE_FULL'],
  ])('%s is not (it stays a 500 or what it was)', (_, error) => {
    expect(isStorageUnavailable(error)).toBe(false);
    expect(storageUnavailableProblem(error)).toBeUndefined();
  });
});
