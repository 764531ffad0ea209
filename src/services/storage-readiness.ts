// The storage half of /readyz. Ready when the database answers `select 1` and no write failed
// for a storage reason (disk full, I/O error, connection lost) lately: for `holdMs` after such a
// failure (the Retry-After those writes were answered with) /readyz says not ready; after that,
// a probe write decides, and once one commits the failure is forgotten. A probe runs only while
// a failure is on record, so a healthy server's readiness check stays one `select 1`. A full
// disk often still takes small writes while larger ones fail: the hold keeps /readyz at 503 as
// long as writes keep failing, even when the small probe would pass.
import { STORAGE_RETRY_AFTER_SECONDS } from '../errors/storage-unavailable-problem.js';
import { isStorageUnavailable, storageFailureReason } from '../storage/storage-failure.js';
import type { Store } from '../storage/store.js';

export type StorageReadiness = { ready: true } | { ready: false; reason: string };

export interface StorageReadinessOptions {
  /** How long a storage failure keeps /readyz at 503 before a probe decides (default 5 s). */
  holdMs?: number;
  /** A probe write that takes longer counts as failed (default 3 s): /readyz never hangs on it. */
  probeTimeoutMs?: number;
  now?: () => number;
}

export async function checkStorageReadiness(
  store: Store,
  options: StorageReadinessOptions = {},
): Promise<StorageReadiness> {
  const now = options.now ?? Date.now;
  const holdMs = options.holdMs ?? STORAGE_RETRY_AFTER_SECONDS * 1000;
  try {
    await store.ping();
  } catch (error) {
    store.health.noteError(error, now());
    return { ready: false, reason: `The database does not answer: ${storageFailureReason(error)}` };
  }
  const failure = store.health.lastFailure;
  if (failure === undefined) return { ready: true };
  if (now() - failure.atMs < holdMs) {
    return { ready: false, reason: `A write failed at ${failure.at}: ${failure.reason}` };
  }
  const probeTimeoutMs = options.probeTimeoutMs ?? 3000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), probeTimeoutMs);
  });
  try {
    // The probe takes the write lock like any write (SQLite under `serve`): bounded here.
    const probe = store.probeWrite();
    probe.catch(() => {});
    if ((await Promise.race([probe, timedOut])) === 'timeout') {
      return {
        ready: false,
        reason: `The database cannot write (failing since ${failure.at}): a probe write took over ${probeTimeoutMs} ms`,
      };
    }
  } catch (error) {
    if (isStorageUnavailable(error)) {
      store.health.noteError(error, now());
      return {
        ready: false,
        reason: `The database cannot write (failing since ${failure.at}): ${storageFailureReason(error)}`,
      };
    }
    // Not a storage failure (e.g. a database migrated without Kysely's lock table): no sign
    // that writes still fail, so the failure on record is forgotten.
  } finally {
    clearTimeout(timer);
  }
  store.health.clear(failure);
  return { ready: true };
}
