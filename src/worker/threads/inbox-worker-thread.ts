// The inbox worker in a thread of its own: claims, normalizes and runs the automation engine
// with its own database connection, so processing never holds up the HTTP event loop. It runs
// at a lower OS priority: under a burst, acknowledging deliveries comes first and processing
// catches up when the CPU is free (the backlog is bounded by STORYFLOW_INBOX_MAX).
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../../domain/clock.js';
import { AutomationEngine } from '../../services/automation/automation-engine.js';
import { AutomationSettings } from '../../services/automation/automation-settings.js';
import { randomIds } from '../../services/random-ids.js';
import { StoryService } from '../../services/story-service.js';
import { openStore } from '../../storage/open-store.js';
import { InboxWorker } from '../inbox-worker.js';
import { SharedWriteLock } from './shared-write-lock.js';
import type {
  InboxWorkerThreadData,
  WorkerThreadCommand,
  WorkerThreadEvent,
} from './thread-messages.js';

const { config, owner, niceness, writeLock } = workerData as InboxWorkerThreadData;
const lock = writeLock === null ? null : new SharedWriteLock(writeLock);
const port = parentPort;
if (port === null) throw new Error('inbox-worker-thread must run in a worker thread');
const post = (event: WorkerThreadEvent) => port.postMessage(event);
const reportError = (error: unknown) =>
  post({
    type: 'error',
    message: error instanceof Error ? error.message : String(error),
    stack: error instanceof Error ? error.stack : undefined,
  });

lowerPriority(niceness);
// On SQLite, processing commits need not wait for the disk: a commit lost to a power cut takes
// the delivery's effects and its `processed` mark with it (one transaction), so the delivery is
// simply processed again. Acknowledged deliveries stay FULL (the writer's connection), whose
// next fsync of the WAL carries these commits too. A process crash loses nothing either way.
// Its commits do not checkpoint the WAL either: on a SQLite file the WAL checkpoint thread does
// (wal-checkpoint-thread.ts), beside the commits instead of inside one.
const store = await openStore(config.database, {
  poolSize: 2,
  sqliteSynchronous: 'normal',
  sqliteAutoCheckpoint: false,
});
const stories = new StoryService(store, config.workflow, systemClock);
const engine = new AutomationEngine(
  stories,
  new AutomationSettings(config),
  systemClock,
  randomIds,
);
const worker = new InboxWorker(store, engine, {
  owner,
  batchSize: config.inbox.batchSize,
  leaseMs: config.inbox.leaseMs,
  pollMs: config.inbox.pollMs,
  retrySchedule: config.inbox.retrySchedule,
  clock: systemClock,
  wakeDelayMs: 10,
  onError: reportError,
  onOutcomes: (outcomes) => post({ type: 'outcomes', outcomes }),
  ...(lock === null
    ? {}
    : { writeGate: { run: (fn) => lock.runPolite(fn), contended: () => lock.contended() } }),
});

port.on('message', async (command: WorkerThreadCommand) => {
  if (command.type === 'wake') {
    worker.wake();
    return;
  }
  await worker.stop();
  await store.close();
  post({ type: 'stopped' });
  port.close();
});
worker.start();
post({ type: 'ready' });

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
