// The storage half of /readyz: ready when the database answers and, if a write failed for a
// storage reason (disk full, I/O error, connection lost), a probe write succeeds again. The
// probe runs only while such a failure is on record, so a healthy server's readiness check
// stays one `select 1`.
import { isStorageUnavailable, storageFailureReason } from '../../storage/storage-failure.js';
import type { Store } from '../../storage/store.js';

export type StorageReadiness = { ready: true } | { ready: false; reason: string };

export async function checkStorageReadiness(store: Store): Promise<StorageReadiness> {
  try {
    await store.ping();
  } catch (error) {
    store.health.noteError(error);
    return { ready: false, reason: `The database does not answer: ${storageFailureReason(error)}` };
  }
  const failure = store.health.lastFailure;
  if (failure === undefined) return { ready: true };
  try {
    await store.probeWrite();
  } catch (error) {
    if (isStorageUnavailable(error)) {
      store.health.noteError(error);
      return {
        ready: false,
        reason: `The database cannot write (since ${failure.at}): ${storageFailureReason(error)}`,
      };
    }
    // Not a storage failure (e.g. a database migrated without Kysely's lock row): no evidence
    // that writes still fail, so the failure on record is forgotten.
  }
  store.health.clear(failure);
  return { ready: true };
}
