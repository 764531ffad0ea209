// One retry loop for writes that can lose a race: a change without a pinned version is run again
// on the latest stored story when another writer got there first (no write is lost).
import { ProblemError } from '../errors/problem-error.js';
import type { Repositories, Store } from '../storage/store.js';
import { LostWriteRace } from './story-problems.js';

/** Attempts at a write (a story change, an atomic batch, one batch operation) that lost a race. */
export const MAX_WRITE_ATTEMPTS = 20;

/**
 * Runs `write` in a transaction, again in a new one each time it throws LostWriteRace; after
 * MAX_WRITE_ATTEMPTS lost races it answers 409 `conflict`, its detail ending with `advice`
 * ("retry", "retry the batch", …). Any other error is thrown as it is.
 */
export async function retryLostRaces<T>(
  store: Store,
  write: (tx: Repositories) => Promise<T>,
  advice = 'retry',
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.transaction(write);
    } catch (error) {
      if (!(error instanceof LostWriteRace)) throw error;
      if (attempt >= MAX_WRITE_ATTEMPTS) {
        throw new ProblemError('conflict', `${error.message} by many writers; ${advice}`);
      }
    }
  }
}
