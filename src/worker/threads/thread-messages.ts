// Messages between the main thread and storyflow's worker threads (structured-cloned).
import type { Config } from '../../config/config.js';
import type { InboxItem, InboxResult } from '../../services/inbox/store-deliveries.js';
import type { DeliveryOutcome } from '../../storage/delivery-repository.js';

export interface DeliveryWriterData {
  filename: string;
  /** A SharedWriteLock's buffer, shared with the inbox worker thread. */
  writeLock: SharedArrayBuffer;
}

export interface WriteRequest {
  seq: number;
  items: InboxItem[];
}

export type WriteResponse =
  | { seq: number; results: InboxResult[] }
  | { seq: number; error: string };

export interface InboxWorkerThreadData {
  config: Config;
  owner: string;
  /** Nice value for the thread (Linux): processing yields the CPU to HTTP under load. */
  niceness: number;
  /** Shared with the delivery writer thread when there is one (SQLite files). */
  writeLock: SharedArrayBuffer | null;
}

/** From the processing thread to the main thread. */
export type WorkerThreadEvent =
  | { type: 'ready' }
  | { type: 'outcomes'; outcomes: { provider: string; status: DeliveryOutcome['status'] }[] }
  | { type: 'error'; message: string; stack: string | undefined }
  | { type: 'stopped' };

/** From the main thread to the processing thread. */
export type WorkerThreadCommand = { type: 'wake' } | { type: 'stop' };

export interface WalCheckpointData {
  filename: string;
  /** Pause between two checkpoints, in ms. */
  intervalMs: number;
}

/** To the WAL checkpoint thread. */
export type WalCheckpointCommand = 'close' | { type: 'count-backlog'; id: number };

/** From the WAL checkpoint thread. */
export type WalCheckpointMessage =
  | 'ready'
  | { type: 'backlog'; id: number; count: number }
  | { type: 'backlog'; id: number; error: string };
