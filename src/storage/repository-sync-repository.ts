// Stories as code (migration 0014): the files of configured repositories bound to stories, and
// each repository's sync state (the commit reached, pushes waiting, failures).

/** A story file bound to its story: (repository, path) → story id. */
export interface RepositoryBinding {
  repository: string;
  path: string;
  storyId: string;
  /** The blob last imported from this path, and the commit it came from. */
  blobSha: string;
  commitSha: string;
  boundAt: string;
}

export interface RepositorySyncState {
  repository: string;
  lastSyncedSha: string | null;
  lastSyncedAt: string | null;
  /** Pushes recorded since the last sync that succeeded. */
  pendingPushes: number;
  /** Failed attempts in a row (0 once a sync succeeds). */
  failedAttempts: number;
  nextAttemptAt: string | null;
  leaseUntil: string | null;
  lastError: string | null;
}

export interface RepositorySyncRepository {
  /** Every binding of a repository, by path. */
  listBindings(repository: string): Promise<RepositoryBinding[]>;
  countBindings(repository: string): Promise<number>;
  /** The bindings of these stories in these repositories (ids by the hundred at most). */
  findBindingsOfStories(
    repositories: readonly string[],
    storyIds: readonly string[],
  ): Promise<RepositoryBinding[]>;
  /** Binds (or rebinds) a path. */
  putBinding(binding: RepositoryBinding): Promise<void>;
  /**
   * putBinding for many paths in a few statements (chunked under the bind-parameter limits); a
   * path given twice is bound as its last entry says, as calls in that order would leave it.
   */
  putBindings(bindings: readonly RepositoryBinding[]): Promise<void>;
  removeBinding(repository: string, path: string): Promise<void>;
  /** removeBinding for many paths of one repository, in a few statements. */
  removeBindings(repository: string, paths: readonly string[]): Promise<void>;
  getState(repository: string): Promise<RepositorySyncState | undefined>;
  /** Counts one more push to sync, due at `at` (creates the state row when missing). */
  recordPush(repository: string, at: string): Promise<void>;
  /**
   * Leases the repositories among `repositories` (the configured ones: a repository taken out of
   * the config is left alone) with pushes due at `now` whose lease (if any) ran out, until
   * `leaseUntil`. On PostgreSQL call it in a transaction: rows another runner claims are skipped.
   */
  claimDue(
    repositories: readonly string[],
    now: string,
    leaseUntil: string,
  ): Promise<RepositorySyncState[]>;
  /**
   * Takes the repository's lease until `leaseUntil` when no one holds it at `now` (creates the
   * state row when missing), as claimDue does for a due push; answers whether it was taken. An
   * API-triggered sync takes it, so no two instances (or runner and API) sync one repository.
   */
  acquireLease(repository: string, now: string, leaseUntil: string): Promise<boolean>;
  /** Gives the lease back (a sync that failed before markSynced). */
  releaseLease(repository: string): Promise<void>;
  /**
   * Records a sync that reached `sha`: failures cleared, the lease released, and `syncedPushes`
   * of the pending pushes taken off (pushes that arrived during the sync stay pending). The sync
   * point moves to `sha` only while it is still `startedFrom` (the point the sync started from):
   * a write-back that moved it onto its own commit during the sync keeps it there.
   */
  markSynced(
    repository: string,
    sha: string,
    at: string,
    syncedPushes: number,
    startedFrom: string | null,
  ): Promise<void>;
  /** Records a failed sync, due again at `nextAttemptAt`. */
  markFailed(repository: string, error: string, nextAttemptAt: string): Promise<void>;
}
