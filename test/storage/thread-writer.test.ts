// The delivery writer thread's connection under `serve` on SQLite: it commits through the shared
// repository (one insertDeliveries for every path), under the write lock, and leaves checkpoints
// to the checkpoint thread until the WAL is large.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { NewDelivery } from '../../src/storage/delivery-repository.js';
import type { KyselyStore } from '../../src/storage/kysely-store.js';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import { SharedWriteLock } from '../../src/storage/sqlite/serve-mode/shared-write-lock.js';
import {
  openThreadWriter,
  type ThreadWriter,
} from '../../src/storage/sqlite/serve-mode/thread-writer.js';

let dir: string;
let store: KyselyStore;
let writer: ThreadWriter;
let writeLock: SharedArrayBuffer;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'storyflow-writer-'));
  store = await createSqliteStore({ filename: join(dir, 'storyflow.db') });
  writeLock = SharedWriteLock.createBuffer();
  writer = await openThreadWriter({ filename: join(dir, 'storyflow.db'), writeLock });
});
afterEach(async () => {
  await writer.close();
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

const insert = (items: NewDelivery[]) =>
  writer.commit((deliveries) => deliveries.insertDeliveries(items));

it('stores new deliveries as pending, readable through the store', async () => {
  const results = await insert([delivery('dlv_a', 'g-1'), delivery('dlv_b', 'g-2')]);
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
  await insert([delivery('dlv_first', 'g-1')]);
  const batch = [
    delivery('dlv_again', 'g-1'),
    delivery('dlv_new', 'g-2'),
    delivery('dlv_twin', 'g-2'),
  ];
  const viaWriter = await insert(batch);
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

it('commits while holding the shared write lock, and lets it go after', async () => {
  const held = () => new Int32Array(writeLock)[0];
  let heldDuringCommit: number | undefined;
  await writer.commit(async (deliveries) => {
    heldDuringCommit = held();
    return deliveries.insertDeliveries([delivery('dlv_locked', 'g-9')]);
  });
  expect(heldDuringCommit).toBe(1);
  expect(held()).toBe(0);
  expect(await store.deliveries.getDelivery('dlv_locked')).not.toBeNull();
});

it('checkpoints on its commits only once the WAL passes 10,000 pages', async () => {
  const big = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, index) => ({
      ...delivery(`dlv_${prefix}${index}`, `${prefix}-${index}`),
      body: JSON.stringify({ pad: 'x'.repeat(8000), index }),
    }));
  const file = join(dir, 'storyflow.db');
  const sizeBefore = statSync(file).size;
  // About 1.3 MB of WAL: under the 10,000-page threshold nothing is copied back.
  await insert(big('a', 150));
  expect(statSync(file).size - sizeBefore).toBeLessThan(200_000);
});
