// `serve` on a SQLite file, behind one seam. better-sqlite3 answers synchronously, so a commit on
// the main thread stops HTTP for as long as its fsync takes, and SQLite's busy handler sleeps with
// the event loop stopped. So under `serve` the file is written from three places that share one
// write lock (shared-write-lock.ts): the main thread's store (API writes, through the gated
// dialect, waiting without blocking), the delivery writer thread (webhook commits, urgent) and the
// inbox worker thread (processing, polite); a fourth thread checkpoints the WAL and counts the
// backlog. This module starts and stops them; the rest of storyflow sees only what it returns.
// docs/architecture.md, "Threads", draws the picture and says why each job is where it is.

import type { Store } from '../../store.js';
import { createSqliteStore } from '../create-sqlite-store.js';
import { DeliveryWriter } from './delivery-writer.js';
import { SharedWriteLock, WriteLockTimeoutError } from './shared-write-lock.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export interface SqliteServeModeOptions {
  /** The database file (not `:memory:`: its threads open it by name). */
  filename: string;
  /** How long a main-thread write waits for the lock or the connection (config.writeLockTimeoutMs). */
  lockTimeoutMs: number;
  /** The error a write that waited past lockTimeoutMs fails with (serve: 503). */
  busyError(waitedMs: number): Error;
  /**
   * The delivery writer thread's script: it checks each batch (what the inbox does before a
   * commit) and commits it with openThreadWriter. It lives with the inbox
   * (worker/threads/delivery-writer-thread.ts): storage knows nothing of webhooks.
   */
  writerScript: URL;
  /** A thread died; another is started (the writer's at the next commit). */
  onThreadExit(thread: 'delivery writer' | 'WAL checkpoint', error: Error): void;
}

export interface SqliteServeMode<WriteItem, WriteResult> {
  /** The main thread's store, migrated, its writes gated by the shared lock. */
  store: Store;
  /** Commits a batch of deliveries in the writer thread. */
  writeDeliveries(items: WriteItem[]): Promise<WriteResult[]>;
  /** The inbox backlog, counted off the event loop (in the checkpoint thread). */
  countBacklog(): Promise<number>;
  /** The lock's buffer, for the inbox worker thread (which takes it politely). */
  writeLock: SharedArrayBuffer;
  /** How long the lock's holder has held it (0: free), for /readyz. */
  lockHeldForMs(now: number): number;
  /** Stops the writer, checkpoints a last time and closes the store. Stop the inbox worker first. */
  close(): Promise<void>;
}

export async function openSqliteServeMode<WriteItem, WriteResult>(
  options: SqliteServeModeOptions,
): Promise<SqliteServeMode<WriteItem, WriteResult>> {
  const writeLock = SharedWriteLock.createBuffer();
  const mainLock = new SharedWriteLock(writeLock);
  const busy = (waitedMs: number) => options.busyError(waitedMs);
  // Migrates the file before any thread opens it.
  const store = await createSqliteStore({
    filename: options.filename,
    writeLock: () =>
      mainLock.lockWithoutBlocking(options.lockTimeoutMs).catch((error: unknown) => {
        throw error instanceof WriteLockTimeoutError ? busy(error.waitedMs) : error;
      }),
    connectionWait: { timeoutMs: options.lockTimeoutMs, error: busy },
    // The checkpoint thread checkpoints for every connection.
    autoCheckpoint: false,
  });
  let writer: DeliveryWriter<WriteItem, WriteResult> | undefined;
  let checkpointer: WalCheckpointer | undefined;
  const close = async () => {
    await writer?.close();
    // Last: a final checkpoint once the writer is done.
    await checkpointer?.close();
    await store.close();
  };
  try {
    writer = await DeliveryWriter.start<WriteItem, WriteResult>({
      filename: options.filename,
      writeLock,
      script: options.writerScript,
      onThreadExit: (error) => options.onThreadExit('delivery writer', error),
    });
    checkpointer = await WalCheckpointer.start({
      filename: options.filename,
      onThreadExit: (error) => options.onThreadExit('WAL checkpoint', error),
    });
  } catch (error) {
    await close();
    throw error;
  }
  const started = { writer, checkpointer };
  return {
    store,
    writeDeliveries: (items) => started.writer.write(items),
    // While the thread is being restarted, on the store (a query on the event loop).
    countBacklog: () =>
      started.checkpointer.countBacklog().catch(() => store.deliveries.countBacklog()),
    writeLock,
    lockHeldForMs: (now) => mainLock.heldForMs(now),
    close,
  };
}

/**
 * The inbox worker thread's side of the lock: it takes it "politely" (webhook commits go first)
 * and ends its transaction early while one waits (InboxWorker's writeGate).
 */
export function politeWriteGate(writeLock: SharedArrayBuffer): {
  run<T>(fn: () => Promise<T>): Promise<T>;
  contended(): boolean;
} {
  const lock = new SharedWriteLock(writeLock);
  return { run: (fn) => lock.runPolite(fn), contended: () => lock.contended() };
}

/** Frees the lock a thread that died may have held (SQLite's own locking still keeps writers apart). */
export function releaseLockOfDeadThread(writeLock: SharedArrayBuffer): void {
  new SharedWriteLock(writeLock).forceRelease();
}
