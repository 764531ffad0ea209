// PrecompiledQuery: Kysely compiles a statement once per dialect, with markers standing for its
// parameters; each run binds that call's values. The same results as the builder, on both.
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Database } from '../../src/storage/database.js';
import { PrecompiledQuery } from '../../src/storage/precompiled-query.js';
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
