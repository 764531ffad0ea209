// A thread that takes a SharedWriteLock over and over (politely or urgently), checking that it
// is alone inside and recording how long each acquisition waited. Plain JavaScript over the
// built dist/ (worker threads do not load TypeScript; npm test builds first).
import { parentPort, workerData } from 'node:worker_threads';
import { SharedWriteLock } from '../../../dist/storage/sqlite/serve-mode/shared-write-lock.js';

const { buffer, inside, mode, rounds, holdMs } = workerData;
const lock = new SharedWriteLock(buffer);
const occupants = new Int32Array(inside);
const waits = [];
let overlaps = 0;

for (let round = 0; round < rounds; round += 1) {
  const asked = performance.now();
  const run = mode === 'urgent' ? lock.runUrgent.bind(lock) : lock.runPolite.bind(lock);
  await run(async () => {
    waits.push(performance.now() - asked);
    if (Atomics.add(occupants, 0, 1) !== 0) overlaps += 1;
    const until = performance.now() + holdMs;
    while (performance.now() < until) {
      // Hold the lock, busy, as a transaction would.
    }
    Atomics.sub(occupants, 0, 1);
  });
  if (mode === 'urgent') await new Promise((resolve) => setTimeout(resolve, 2));
}
parentPort?.postMessage({ waits, overlaps });
