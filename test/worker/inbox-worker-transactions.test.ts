// The inbox worker keeps each transaction short: it commits once it has been open for
// transactionMs, or as soon as another writer is waiting (the webhook commit thread).
import { afterEach, beforeEach, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.js';
import { recordEventsOnly } from '../../src/services/inbox/delivery-handler.js';
import type { KyselyStore } from '../../src/storage/kysely-store.js';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import { InboxWorker, type WriteGate } from '../../src/worker/inbox-worker.js';
import { newDelivery } from '../support/new-delivery.js';

let store: KyselyStore;

beforeEach(async () => {
  store = await createSqliteStore({ filename: ':memory:' });
  await store.transaction((tx) =>
    tx.deliveries.insertDeliveries(
      Array.from({ length: 6 }, (_, index) =>
        newDelivery(`dlv_${index}`, {
          deliveryId: `g-${index}`,
          event: 'ping',
          headers: { 'x-github-event': 'ping' },
          body: '{"zen":"ok"}',
          receivedAt: `2026-11-25T10:00:0${index}.000Z`,
        }),
      ),
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

it('a woken worker waits wakeDelayMs so that a burst is claimed at once', async () => {
  const gate = countingGate(Number.POSITIVE_INFINITY);
  const delayed = new InboxWorker(store, recordEventsOnly, {
    owner: 'test-worker',
    batchSize: 10,
    leaseMs: 30_000,
    pollMs: 60_000,
    retrySchedule: [],
    clock: systemClock,
    wakeDelayMs: 100,
    writeGate: gate,
  });
  // The first pass finds the six stored in beforeEach; then the worker idles.
  delayed.start();
  for (let waited = 0; (await store.deliveries.countBacklog()) > 0 && waited < 2000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const runsWhenIdle = gate.runs;
  delayed.wake();
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(gate.runs).toBe(runsWhenIdle); // still waiting for the burst to gather
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(gate.runs).toBe(runsWhenIdle + 1); // one claim (which found nothing)
  await delayed.stop();
});

it('reads the claimed payloads after the claim, without holding the write gate', async () => {
  const calls: string[] = [];
  let held = false;
  const gate: WriteGate = {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      held = true;
      try {
        return await fn();
      } finally {
        held = false;
      }
    },
    contended: () => false,
  };
  const deliveries = store.deliveries;
  const claimDeliveries = deliveries.claimDeliveries.bind(deliveries);
  const withPayloads = deliveries.withPayloads.bind(deliveries);
  deliveries.claimDeliveries = (...args) => {
    calls.push(`claim, gate ${held ? 'held' : 'free'}`);
    return claimDeliveries(...args);
  };
  deliveries.withPayloads = (claimed) => {
    calls.push(`payloads, gate ${held ? 'held' : 'free'}`);
    return withPayloads(claimed);
  };
  expect(await worker(gate, 60_000).runOnce()).toBe(6);
  expect(calls).toEqual(['claim, gate held', 'payloads, gate free']);
  // The payloads did reach the adapter: a ping is ignored for being a ping (outside DESIGN §4),
  // not for a body that is not JSON, as it would be without its payload.
  const processed = await store.deliveries.getDelivery('dlv_0');
  expect(processed?.status).toBe('ignored');
  expect(processed?.lastError).toBe('ping');
});

it("appends each delivery's audit entry as it is processed, not all at the end of the transaction", async () => {
  // A webhook commit that starts waiting then waits for one delivery's entry and the commit.
  const appends: { transaction: number; entries: number }[] = [];
  const transaction = store.transaction.bind(store);
  let transactions = 0;
  store.transaction = (fn) =>
    transaction((tx) => {
      const number = ++transactions;
      const append = tx.audit.append.bind(tx.audit);
      tx.audit.append = (entries) => {
        appends.push({ transaction: number, entries: entries.length });
        return append(entries);
      };
      return fn(tx);
    });
  expect(await worker(countingGate(Number.POSITIVE_INFINITY), 60_000).runOnce()).toBe(6);
  // One transaction (the claim is not one of store.transaction's), six appends of one entry.
  expect(appends).toEqual(Array.from({ length: 6 }, () => ({ transaction: 1, entries: 1 })));
  const audit = await store.audit.list({ targetType: 'delivery', limit: 100 });
  expect(audit.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5, 6]);
});
