// The inbox worker in a thread of its own: claims, normalizes and runs the automation engine
// with its own database connection, so processing never holds up the HTTP event loop. It runs
// at a lower OS priority: under a burst, acknowledging deliveries comes first and processing
// catches up when the CPU is free (the backlog is bounded by STORYFLOW_INBOX_MAX).
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import { systemClock } from '../../domain/clock.js';
import { composeServices } from '../../services/compose-services.js';
import { randomIds } from '../../services/random-ids.js';
import { openStore } from '../../storage/open-store.js';
import { politeWriteGate } from '../../storage/sqlite/serve-mode/sqlite-serve-mode.js';
import { serveThread } from '../../threads/thread-channel.js';
import { InboxWorker } from '../inbox-worker.js';
import type {
  InboxWorkerThreadCommand,
  InboxWorkerThreadData,
  InboxWorkerThreadEvent,
} from './threaded-inbox-worker.js';

const { config, owner, niceness, writeLock } = workerData as InboxWorkerThreadData;

lowerPriority(niceness);
// On SQLite, processing commits need not wait for the disk: a commit lost to a power cut takes
// the delivery's effects and its `processed` mark with it (one transaction), so the delivery is
// simply processed again. Acknowledged deliveries stay FULL (the writer's connection), whose
// next fsync of the WAL carries these commits too. A process crash loses nothing either way.
// Its commits do not checkpoint the WAL either: on a SQLite file the WAL checkpoint thread does
// (storage/sqlite/serve-mode), beside the commits instead of inside one.
const store = await openStore(config.database, {
  poolSize: 2,
  sqliteSynchronous: 'normal',
  sqliteAutoCheckpoint: false,
});
const { handler } = composeServices(store, config, { clock: systemClock, ids: randomIds });
let worker: InboxWorker | undefined;
const thread = serveThread<never, never, InboxWorkerThreadCommand, InboxWorkerThreadEvent>({
  command: () => worker?.wake(),
  async close() {
    await worker?.stop();
    await store.close();
  },
});
worker = new InboxWorker(store, handler, {
  owner,
  batchSize: config.inbox.batchSize,
  leaseMs: config.inbox.leaseMs,
  pollMs: config.inbox.pollMs,
  retrySchedule: config.inbox.retrySchedule,
  clock: systemClock,
  wakeDelayMs: 10,
  onError: (error) =>
    thread.emit({
      type: 'error',
      message: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    }),
  onOutcomes: (outcomes) => thread.emit({ type: 'outcomes', outcomes }),
  ...(writeLock === null ? {} : { writeGate: politeWriteGate(writeLock) }),
});
worker.start();
thread.ready();

/** Linux gives each thread its own nice value; elsewhere the thread keeps the process's. */
function lowerPriority(value: number): void {
  if (value === 0) return;
  try {
    // "/proc/thread-self" links to "<pid>/task/<tid>".
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid)) setPriority(tid, value);
  } catch {
    // Not Linux, or not permitted: the same priority as HTTP, which is only slower under load.
  }
}
