// The delivery writer thread's connection: the inbox's commits go through the same repository
// code as every other write (KyselyDeliveryRepository.insertDeliveries, one statement for both
// dialects), holding the shared write lock "urgently" so the inbox worker lets them go first.
import type { Repositories } from '../../store.js';
import { createSqliteStore } from '../create-sqlite-store.js';
import type { DeliveryWriterData } from './delivery-writer.js';
import { SharedWriteLock } from './shared-write-lock.js';

export interface ThreadWriter {
  /** Runs `fn` in one transaction under the write lock; resolves once it is committed. */
  commit<T>(fn: (deliveries: Repositories['deliveries']) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Opens the writer's connection (the main thread migrated the database before starting it). */
export async function openThreadWriter(data: DeliveryWriterData): Promise<ThreadWriter> {
  const lock = new SharedWriteLock(data.writeLock);
  // Checkpoints are the WAL checkpoint thread's (wal-checkpoint-thread.ts); this connection's
  // own only start when the WAL passes 40 MB, should that thread fall behind or die. FULL
  // durability (the default): a delivery is on disk before it is acknowledged.
  const store = await createSqliteStore({
    filename: data.filename,
    migrate: false,
    autoCheckpoint: 10_000,
  });
  return {
    commit: (fn) => lock.runUrgent(() => store.transaction((tx) => fn(tx.deliveries))),
    close: () => store.close(),
  };
}
