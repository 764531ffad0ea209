// The webhook commit path of `serve` on SQLite (prepared statements, no query builder) stores
// and deduplicates exactly as the shared repository does.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { NewDelivery } from '../../src/storage/delivery-repository.js';
import type { KyselyStore } from '../../src/storage/kysely-store.js';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import { SqliteDeliveryWriter } from '../../src/storage/sqlite/sqlite-delivery-writer.js';

let dir: string;
let store: KyselyStore;
let writer: SqliteDeliveryWriter;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'storyflow-writer-'));
  store = await createSqliteStore({ filename: join(dir, 'storyflow.db') });
  writer = new SqliteDeliveryWriter(join(dir, 'storyflow.db'));
});
afterEach(async () => {
  writer.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const delivery = (id: string, deliveryId: string): NewDelivery => ({
  id,
  provider: 'github',
  deliveryId,
  event: 'push',
  headers: { 'x-github-event': 'push', 'content-type': 'application/json' },
  body: `{"n":"${id}"}`,
  receivedAt: '2026-11-25T10:00:00.000Z',
  sourceAddress: '10.0.0.1',
  repository: 'octo/shop',
});

it('stores new deliveries as pending, readable through the store', async () => {
  const results = await writer.insertDeliveries([
    delivery('dlv_a', 'g-1'),
    delivery('dlv_b', 'g-2'),
  ]);
  expect(results).toEqual([
    { id: 'dlv_a', duplicate: false },
    { id: 'dlv_b', duplicate: false },
  ]);
  const stored = await store.deliveries.getDelivery('dlv_a');
  expect(stored).toMatchObject({
    ...delivery('dlv_a', 'g-1'),
    status: 'pending',
    attempts: 0,
    nextAttemptAt: '2026-11-25T10:00:00.000Z',
    events: null,
  });
});

it('answers a redelivery, earlier or in the same batch, with the stored id, as the repository does', async () => {
  await writer.insertDeliveries([delivery('dlv_first', 'g-1')]);
  const batch = [
    delivery('dlv_again', 'g-1'),
    delivery('dlv_new', 'g-2'),
    delivery('dlv_twin', 'g-2'),
  ];
  const viaWriter = await writer.insertDeliveries(batch);
  expect(viaWriter).toEqual([
    { id: 'dlv_first', duplicate: true },
    { id: 'dlv_new', duplicate: false },
    { id: 'dlv_new', duplicate: true },
  ]);
  // The repository answers the same for the same situation on a fresh database.
  const other = await createSqliteStore({ filename: join(dir, 'other.db') });
  try {
    await other.transaction((tx) => tx.deliveries.insertDeliveries([delivery('dlv_first', 'g-1')]));
    const viaRepository = await other.transaction((tx) => tx.deliveries.insertDeliveries(batch));
    expect(viaRepository).toEqual(viaWriter);
  } finally {
    await other.close();
  }
  expect(await store.deliveries.countBacklog()).toBe(2);
});

it('checkpoints on its commits only once the WAL passes autoCheckpointPages', async () => {
  const big = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, index) => ({
      ...delivery(`dlv_${prefix}${index}`, `${prefix}-${index}`),
      body: JSON.stringify({ pad: 'x'.repeat(8000), index }),
    }));
  const file = join(dir, 'storyflow.db');
  const sizeBefore = statSync(file).size;
  // About 1.3 MB of WAL: under a 10,000-page threshold nothing is copied back.
  const patient = new SqliteDeliveryWriter(file, { autoCheckpointPages: 10_000 });
  await patient.insertDeliveries(big('a', 150));
  patient.close();
  expect(statSync(file).size - sizeBefore).toBeLessThan(200_000);
  // With a 100-page threshold the next commit checkpoints.
  const eager = new SqliteDeliveryWriter(file, { autoCheckpointPages: 100 });
  await eager.insertDeliveries(big('b', 10));
  eager.close();
  expect(statSync(file).size - sizeBefore).toBeGreaterThan(1_000_000);
});
