// A storage failure (disk full, database unreachable) as the answer docs/api.md promises:
// 503 `unavailable` with Retry-After, naming the cause, instead of 500 `internal`.
import { isStorageUnavailable, storageFailureReason } from '../storage/storage-failure.js';
import { ProblemError } from './problem-error.js';

/** Seconds a client is asked to wait before retrying after a storage failure. */
export const STORAGE_RETRY_AFTER_SECONDS = 5;

/** The 503 problem for `error` when it is a storage failure, else undefined. */
export function storageUnavailableProblem(error: unknown): ProblemError | undefined {
  if (!isStorageUnavailable(error)) return undefined;
  return new ProblemError(
    'unavailable',
    `The database is unavailable: ${storageFailureReason(error)}; retry later`,
    {},
    { 'retry-after': String(STORAGE_RETRY_AFTER_SECONDS) },
  );
}
