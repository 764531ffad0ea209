// A thread of `serve` that dies is replaced: the writer fails only the commit in flight (its
// requests get 503 and are retried by the provider) and frees the write lock it held; the
// inbox worker thread is started again.
import { expect, it } from 'vitest';
import type { NewDelivery } from '../../src/storage/delivery-repository.js';
import { DeliveryWriter } from '../../src/storage/sqlite/serve-mode/delivery-writer.js';
import { SharedWriteLock } from '../../src/storage/sqlite/serve-mode/shared-write-lock.js';
import { ThreadedInboxWorker } from '../../src/worker/threads/threaded-inbox-worker.js';

const item = (id: string) => ({ delivery: { id } as NewDelivery, inspect: false });

it('a writer thread that dies fails its commit, frees the lock, and the next commit gets a new thread', async () => {
  const writeLock = SharedWriteLock.createBuffer();
  const exits: Error[] = [];
  const writer = await DeliveryWriter.start({
    filename: 'unused.db',
    writeLock,
    onThreadExit: (error) => exits.push(error),
    script: new URL('../support/threads/fake-delivery-writer.mjs', import.meta.url),
  });
  try {
    expect(await writer.write([item('a')])).toEqual([{ id: 'a', duplicate: false }]);
    await expect(writer.write([item('crash')])).rejects.toThrow(/exited/);
    expect(exits).toHaveLength(1);
    expect(new Int32Array(writeLock)[0]).toBe(0);
    expect(await writer.write([item('b')])).toEqual([{ id: 'b', duplicate: false }]);
  } finally {
    await writer.close();
  }
});

it('an inbox worker thread that dies is started again until the worker stops', async () => {
  let batches = 0;
  const errors: Error[] = [];
  const worker = new ThreadedInboxWorker({
    config: {} as never,
    owner: 'test',
    niceness: 0,
    writeLock: null,
    onError: (error) => errors.push(error),
    onOutcomes: () => {
      batches += 1;
    },
    restartDelayMs: 10,
    script: new URL('../support/threads/fake-inbox-worker.mjs', import.meta.url),
  });
  await worker.start();
  for (let waited = 0; batches < 3 && waited < 5000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(batches).toBeGreaterThanOrEqual(3);
  expect(errors.some((error) => /exited/.test(error.message))).toBe(true);
  await worker.stop();
  const afterStop = batches;
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(batches).toBe(afterStop);
});
