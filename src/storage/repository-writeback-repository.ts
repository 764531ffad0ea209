// Stories as code, outbound (migration 0015): changes to bound stories waiting to be written
// back to their files, queued in the transaction of the change and taken off once pushed.
import type { RepositoryBinding } from './repository-sync-repository.js';

/** One change to a bound story, to be written to its file. */
export interface WriteBackIntent {
  id: string;
  repository: string;
  storyId: string;
  /** The storyflow operation the change belongs to: one trailer of the commit. */
  operationId: string;
  /** Its line in the commit message (`INT-3: in_review → done (…)`). */
  summary: string;
  queuedAt: string;
  /** Failed attempts so far. */
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
}

/** What a repository's status shows of its write-backs. */
export interface WriteBackSummary {
  /** Intents waiting (due or not). */
  pending: number;
  /** The most failed attempts of one of them (0: none failed). */
  failing: number;
  lastError: string | null;
  nextAttemptAt: string | null;
}

export interface RepositoryWriteBackRepository {
  queue(intents: readonly WriteBackIntent[]): Promise<void>;
  /** The files bound to a story, in every repository. */
  bindingsOfStory(storyId: string): Promise<RepositoryBinding[]>;
  /** The repositories among `repositories` with an intent due at `now`. */
  dueRepositories(repositories: readonly string[], now: string): Promise<string[]>;
  /** Every intent of a repository, oldest first. */
  listIntents(repository: string): Promise<WriteBackIntent[]>;
  /** Takes written (or no longer needed) intents off the queue. */
  remove(ids: readonly string[]): Promise<void>;
  /**
   * Records why intents were not written, due again at `nextAttemptAt`; `failed` counts an
   * attempt (git or the forge failed), else they wait without counting (for the inbound sync).
   */
  postpone(
    ids: readonly string[],
    reason: string,
    nextAttemptAt: string,
    failed: boolean,
  ): Promise<void>;
  summary(repository: string): Promise<WriteBackSummary>;
  /**
   * Moves the repository's last synced commit from `from` to `to` (a write-back commit pushed on
   * top of it), and only from there: a sync point elsewhere is left to the inbound sync.
   */
  advanceSyncedSha(repository: string, from: string, to: string): Promise<void>;
}
