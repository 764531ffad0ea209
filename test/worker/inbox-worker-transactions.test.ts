// The inbox worker keeps each transaction short: it commits once it has been open for
// transactionMs, or as soon as another writer is waiting (the webhook commit thread).
import { afterEach, beforeEach, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.js';
import { recordEventsOnly } from '../../src/services/inbox/delivery-handler.js';
import type { KyselyStore } from '../../src/storage/kysely-store.js';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import { InboxWorker, type WriteGate } from '../../src/worker/inbox-worker.js';

let store: KyselyStore;

beforeEach(async () => {
  store = await createSqliteStore({ filename: ':memory:' });
  await store.transaction((tx) =>
    tx.deliveries.insertDeliveries(
      Array.from({ length: 6 }, (_, index) => ({
        id: `dlv_${index}`,
        provider: 'github',
        deliveryId: `g-${index}`,
        event: 'ping',
        headers: { 'x-github-event': 'ping' },
        body: '{"zen":"ok"}',
        receivedAt: `2026-11-25T10:00:0${index}.000Z`,
        sourceAddress: null,
        repository: null,
      })),
    ),
  );
});
afterEach(async () => {
  await store.close();
});

/** Counts the gated runs (the claim and each transaction); contended after `after` runs. */
function countingGate(contendedAfter: number): WriteGate & { runs: number } {
  const gate = {
    runs: 0,
    run<T>(fn: () => Promise<T>): Promise<T> {
      gate.runs += 1;
      return fn();
    },
    contended: () => gate.runs > contendedAfter,
  };
  return gate;
}

const worker = (gate: WriteGate, transactionMs: number) =>
  new InboxWorker(store, recordEventsOnly, {
    owner: 'test-worker',
    batchSize: 10,
    leaseMs: 30_000,
    pollMs: 1000,
    retrySchedule: [],
    clock: systemClock,
    transactionMs,
    writeGate: gate,
  });

it('takes the whole claim in one transaction when nothing waits and time allows', async () => {
  const gate = countingGate(Number.POSITIVE_INFINITY);
  expect(await worker(gate, 60_000).runOnce()).toBe(6);
  expect(gate.runs).toBe(2); // the claim, then one transaction
  expect(await store.deliveries.countBacklog()).toBe(0);
});

it('commits after every delivery while another writer waits, and still processes them all', async () => {
  const gate = countingGate(0);
  expect(await worker(gate, 60_000).runOnce()).toBe(6);
  expect(gate.runs).toBe(7); // the claim, then six one-delivery transactions
  expect(await store.deliveries.countBacklog()).toBe(0);
});

it('commits when a transaction has been open for transactionMs', async () => {
  const gate = countingGate(Number.POSITIVE_INFINITY);
  expect(await worker(gate, 0).runOnce()).toBe(6);
  expect(gate.runs).toBe(7);
  // Each transaction appended its own delivery's audit entry.
  const audit = await store.audit.list({ targetType: 'delivery', limit: 100 });
  expect(audit.map((entry) => entry.targetId).sort()).toEqual(
    Array.from({ length: 6 }, (_, index) => `dlv_${index}`),
  );
});
