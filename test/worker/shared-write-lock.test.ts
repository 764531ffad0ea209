// Two threads share SQLite's write lock through SharedWriteLock: never both inside, and the
// urgent one (webhook commits) waits at most one short polite hold (processing), never starves.
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import {
  SharedWriteLock,
  WriteLockTimeoutError,
} from '../../src/storage/sqlite/serve-mode/shared-write-lock.js';

function contender(data: Record<string, unknown>): Promise<{ waits: number[]; overlaps: number }> {
  const worker = new Worker(
    new URL('../support/threads/write-lock-contender.mjs', import.meta.url),
    {
      workerData: data,
    },
  );
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

it('keeps the threads apart and lets the urgent one in after at most one polite hold', async () => {
  const buffer = SharedWriteLock.createBuffer();
  const inside = new SharedArrayBuffer(4);
  const [polite, urgent] = await Promise.all([
    contender({ buffer, inside, mode: 'polite', rounds: 400, holdMs: 2 }),
    contender({ buffer, inside, mode: 'urgent', rounds: 60, holdMs: 1 }),
  ]);
  expect(polite.overlaps + urgent.overlaps).toBe(0);
  expect(polite.waits).toHaveLength(400);
  // A polite hold lasts 2 ms; scheduling adds a little on a busy machine.
  const longest = Math.max(...urgent.waits);
  expect(longest).toBeLessThan(25);
}, 30_000);

it('a bounded wait for a lock another holder keeps rejects with WriteLockTimeoutError in time, and the holder shows how long it has held it', async () => {
  const buffer = SharedWriteLock.createBuffer();
  const holder = new SharedWriteLock(buffer);
  const waiter = new SharedWriteLock(buffer);
  expect(waiter.heldForMs()).toBe(0);
  const release = await holder.lockWithoutBlocking();
  const started = Date.now();
  const error = await waiter.lockWithoutBlocking(200).catch((caught: unknown) => caught);
  const waited = Date.now() - started;
  expect(error).toBeInstanceOf(WriteLockTimeoutError);
  expect((error as WriteLockTimeoutError).waitedMs).toBeGreaterThanOrEqual(190);
  expect(waited).toBeGreaterThanOrEqual(190);
  expect(waited).toBeLessThan(2000);
  expect(waiter.heldForMs()).toBeGreaterThanOrEqual(190);
  expect(waiter.heldForMs(Date.now() + 10_000)).toBeGreaterThanOrEqual(10_000);
  release();
  expect(waiter.heldForMs()).toBe(0);
  // Free again: the bounded wait takes it at once.
  const mine = await waiter.lockWithoutBlocking(200);
  expect(holder.heldForMs()).toBeLessThan(200);
  mine();
});
