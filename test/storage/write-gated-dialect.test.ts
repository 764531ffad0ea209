// `serve`'s main-thread SQLite connection takes the write lock its threads share before each
// transaction and each write outside one, and waits for it without stopping the event loop;
// left to SQLite's busy handler, it slept with the event loop stopped.
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { KyselyStore } from '../../src/storage/kysely-store.js';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import { SharedWriteLock } from '../../src/storage/sqlite/serve-mode/shared-write-lock.js';
import type { WriteLockGate } from '../../src/storage/sqlite/serve-mode/write-gated-dialect.js';
import { useTempDatabaseFiles } from '../support/temp-database-files.js';

const newDatabaseFile = useTempDatabaseFiles('gate');

async function probeTable(store: KyselyStore): Promise<void> {
  await sql`create table probe (id integer primary key, source text not null)`.execute(
    store.kysely,
  );
}

/** A thread holding the shared lock and SQLite's write lock on `filename` for `holdMs`. */
async function holdLockInThread(buffer: SharedArrayBuffer, filename: string, holdMs: number) {
  const worker = new Worker(new URL('../support/threads/sqlite-lock-holder.mjs', import.meta.url), {
    workerData: { buffer, filename, holdMs },
  });
  const done = new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (message) => message === 'holding' && resolve());
    worker.once('error', reject);
  });
  return { done };
}

/** Runs `write` while counting how often a 5 ms interval timer fires until it is done. */
async function ticksDuring(write: () => Promise<unknown>): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
  }, 5);
  try {
    await write();
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

it('a write waits for the lock another thread holds with the event loop running, and lands after it', async () => {
  const filename = newDatabaseFile();
  const buffer = SharedWriteLock.createBuffer();
  const lock = new SharedWriteLock(buffer);
  const store = await createSqliteStore({
    filename,
    writeLock: () => lock.lockWithoutBlocking(),
  });
  try {
    await probeTable(store);
    const holder = await holdLockInThread(buffer, filename, 300);
    const asked = performance.now();
    const ticks = await ticksDuring(() =>
      sql`insert into probe (source) values ('main')`.execute(store.kysely),
    );
    const waited = performance.now() - asked;
    await holder.done;
    // It waited out the hold, and about 60 ticks fired meanwhile (fewer on a loaded machine).
    expect(waited).toBeGreaterThan(200);
    expect(ticks).toBeGreaterThan(10);
    const rows = await sql<{ source: string }>`select source from probe order by id`.execute(
      store.kysely,
    );
    expect(rows.rows.map((row) => row.source)).toEqual(['thread', 'main']);
  } finally {
    await store.close();
  }
}, 20_000);

it('without the lock the same write waits in SQLite with the event loop stopped (what the lock avoids)', async () => {
  const filename = newDatabaseFile();
  const buffer = SharedWriteLock.createBuffer();
  const store = await createSqliteStore({ filename });
  try {
    await probeTable(store);
    const holder = await holdLockInThread(buffer, filename, 300);
    const ticks = await ticksDuring(() =>
      sql`insert into probe (source) values ('main')`.execute(store.kysely),
    );
    await holder.done;
    expect(ticks).toBeLessThanOrEqual(2);
  } finally {
    await store.close();
  }
}, 20_000);

it('takes the lock for each transaction and each write outside one, never for reads', async () => {
  const log: string[] = [];
  const gate: WriteLockGate = async () => {
    log.push('lock');
    return () => log.push('release');
  };
  const store = await createSqliteStore({ filename: ':memory:', writeLock: gate });
  try {
    await probeTable(store);
    log.length = 0;
    await sql`select count(*) from probe`.execute(store.kysely);
    await store.kysely.selectFrom('stories').select('id').execute();
    expect(log).toEqual([]);

    await sql`insert into probe (source) values ('outside')`.execute(store.kysely);
    expect(log).toEqual(['lock', 'release']);

    log.length = 0;
    await store.transaction(async (tx) => {
      log.push('inside');
      // Reads and writes inside take nothing more: the transaction holds the lock.
      await tx.stories.getStory('NONE-1');
      await tx.idempotency.deleteExpired(new Date(0).toISOString());
    });
    expect(log).toEqual(['lock', 'inside', 'release']);

    log.length = 0;
    await expect(
      store.transaction(async () => {
        log.push('inside');
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(log).toEqual(['lock', 'inside', 'release']);
  } finally {
    await store.close();
  }
});

it('a query waiting for the connection a transaction holds gives up after the bound: a read on the store inside its own transaction fails instead of hanging forever', async () => {
  const buffer = SharedWriteLock.createBuffer();
  const lock = new SharedWriteLock(buffer);
  const store = await createSqliteStore({
    filename: ':memory:',
    writeLock: () => lock.lockWithoutBlocking(),
    connectionWait: {
      timeoutMs: 300,
      error: (waitedMs) => new Error(`busy after ${waitedMs} ms`),
    },
  });
  try {
    const started = Date.now();
    // The shape of the old POST /stories/{id}/links: the store, not `tx`, inside the transaction.
    await expect(
      store.transaction(async () => {
        await store.stories.getStory('INT-003');
      }),
    ).rejects.toThrow(/^busy after \d+ ms$/);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(5000);
    // The transaction rolled back and released the lock and the connection: all usable again.
    expect(lock.heldForMs()).toBe(0);
    expect(await store.stories.getStory('INT-003')).toBeUndefined();
    await store.transaction(async (tx) => {
      expect(await tx.stories.getStory('INT-003')).toBeUndefined();
    });
  } finally {
    await store.close();
  }
}, 20_000);
