// PrecompiledQuery: Kysely compiles a statement once per dialect, with markers standing for its
// parameters; each run binds that call's values. The same results as the builder, on both.
import BetterSqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Database } from '../../src/storage/database.js';
import { KyselyStore } from '../../src/storage/kysely-store.js';
import { migrateToLatest } from '../../src/storage/migrations/index.js';
import { PrecompiledQuery, runPrecompiledDirectly } from '../../src/storage/precompiled-query.js';
import { withStatementCache } from '../../src/storage/sqlite/statement-cache.js';
import type { Store } from '../../src/storage/store.js';
import { newDelivery } from '../support/new-delivery.js';
import { describeEachStore } from '../support/store-factories.js';

const kyselyOf = (store: Store) => (store as unknown as { db: Kysely<Database> }).db;

const RETRY = new PrecompiledQuery<{ id: string; error: string }>(
  ['id', 'error'],
  (db, { id, error }) =>
    db
      .updateTable('deliveries')
      .set({ status: 'failed', last_error: error })
      .where('id', '=', id)
      // A constant of the statement, not a parameter of the call.
      .where('status', '=', 'pending'),
);

const STATUS = new PrecompiledQuery<{ id: string }, { status: string; last_error: string | null }>(
  ['id'],
  (db, { id }) => db.selectFrom('deliveries').select(['status', 'last_error']).where('id', '=', id),
);

describeEachStore('precompiled queries', (open) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    await store.transaction((tx) =>
      tx.deliveries.insertDeliveries(['dlv_a', 'dlv_b'].map((id) => newDelivery(id))),
    );
  });
  afterEach(async () => {
    await store.close();
  });

  it("runs with each call's values and answers the rows it changed", async () => {
    const db = kyselyOf(store);
    expect(Number((await RETRY.execute(db, { id: 'dlv_a', error: 'first' })).numAffectedRows)).toBe(
      1,
    );
    // dlv_a is no longer pending: the constant in the statement still applies.
    expect(Number((await RETRY.execute(db, { id: 'dlv_a', error: 'again' })).numAffectedRows)).toBe(
      0,
    );
    expect(
      Number((await RETRY.execute(db, { id: 'dlv_b', error: 'second' })).numAffectedRows),
    ).toBe(1);
    expect((await STATUS.execute(db, { id: 'dlv_a' })).rows).toEqual([
      { status: 'failed', last_error: 'first' },
    ]);
    expect((await STATUS.execute(db, { id: 'dlv_b' })).rows).toEqual([
      { status: 'failed', last_error: 'second' },
    ]);
    expect((await STATUS.execute(db, { id: 'dlv_none' })).rows).toEqual([]);
  });

  it('refuses a marker used in the statement itself instead of as a value', async () => {
    const misuse = new PrecompiledQuery<{ column: string }>(['column'], (db) =>
      db.selectFrom('deliveries').select('id').where('status', '=', 'pending'),
    );
    await expect(misuse.execute(kyselyOf(store), { column: 'status' })).rejects.toThrow(
      'column did not become parameters',
    );
  });
});

describeEachStore('precompiled queries in a transaction', (open) => {
  it('answer what they answer outside one, and a rollback undoes them', async () => {
    const store = await open();
    try {
      await store.transaction((tx) =>
        tx.deliveries.insertDeliveries([newDelivery('dlv_a'), newDelivery('dlv_b')]),
      );
      const db = kyselyOf(store);
      await db.transaction().execute(async (trx) => {
        expect(
          Number((await RETRY.execute(trx, { id: 'dlv_a', error: 'in tx' })).numAffectedRows),
        ).toBe(1);
        expect(
          Number((await RETRY.execute(trx, { id: 'dlv_a', error: 'again' })).numAffectedRows),
        ).toBe(0);
        expect((await STATUS.execute(trx, { id: 'dlv_a' })).rows).toEqual([
          { status: 'failed', last_error: 'in tx' },
        ]);
      });
      await expect(
        db.transaction().execute(async (trx) => {
          await RETRY.execute(trx, { id: 'dlv_b', error: 'rolled back' });
          throw new Error('undo');
        }),
      ).rejects.toThrow('undo');
      expect((await STATUS.execute(db, { id: 'dlv_b' })).rows).toEqual([
        { status: 'pending', last_error: null },
      ]);
    } finally {
      await store.close();
    }
  });
});

it("on SQLite, a transaction's precompiled statements run on its connection, not through Kysely's executor", async () => {
  const connection = withStatementCache(new BetterSqlite(':memory:'));
  const executed: string[] = [];
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: connection }),
    log: (event) => {
      executed.push(event.query.sql);
    },
  });
  await migrateToLatest(db);
  const store = new KyselyStore(db, 'sqlite');
  await store.transaction((tx) => tx.deliveries.insertDeliveries([newDelivery('dlv_a')]));
  runPrecompiledDirectly(db, connection);
  executed.length = 0;
  await STATUS.execute(db, { id: 'dlv_a' });
  expect(executed).toHaveLength(1);
  const changed = await db
    .transaction()
    .execute((trx) => RETRY.execute(trx, { id: 'dlv_a', error: 'direct' }));
  expect(Number(changed.numAffectedRows)).toBe(1);
  // Kysely saw the transaction's begin and commit, not the update inside it.
  expect(executed.filter((query) => /^update/i.test(query))).toEqual([]);
  expect(executed).toHaveLength(3);
  expect((await STATUS.execute(db, { id: 'dlv_a' })).rows).toEqual([
    { status: 'failed', last_error: 'direct' },
  ]);
  await store.close();
});
