// The last storage failure a write met (disk full, database unreachable), until a probe write
// succeeds again. /readyz reads it: a database that answers `select 1` may still refuse writes
// (a full disk), and probing with a write on every readiness check would cost a commit (an
// fsync) each time. So a probe is written only while a failure is on record.
import { isStorageUnavailable, storageFailureReason } from './storage-failure.js';

export interface StorageFailure {
  /** What the database said, e.g. `database or disk is full (SQLITE_FULL)`. */
  reason: string;
  /** When it was noted (ISO 8601). */
  at: string;
  /** The same, in ms since the epoch. */
  atMs: number;
}

export class StorageHealth {
  private failure: StorageFailure | undefined;

  /** Records `error` when it is a storage failure (anything else is ignored). */
  noteError(error: unknown, now = Date.now()): void {
    if (!isStorageUnavailable(error)) return;
    this.failure = {
      reason: storageFailureReason(error),
      at: new Date(now).toISOString(),
      atMs: now,
    };
  }

  /** The failure on record, if writes failed since the last successful probe. */
  get lastFailure(): StorageFailure | undefined {
    return this.failure;
  }

  /** A probe write succeeded: forgets `failure` unless a newer one was noted meanwhile. */
  clear(failure: StorageFailure): void {
    if (this.failure === failure) this.failure = undefined;
  }
}
