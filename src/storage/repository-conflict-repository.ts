// Stories as code (migration 0016): keys changed both in storyflow and in a repository since the
// last sync, where the repository's value was kept, listed until acknowledged.

/** One conflict: values are JSON text, null where that side removed the key. */
export interface RepositoryConflict {
  id: string;
  repository: string;
  path: string;
  storyId: string;
  /** The frontmatter key, or `(body)`. */
  key: string;
  storyflowValue: string | null;
  repositoryValue: string | null;
  /** The commit whose file won. */
  commitSha: string;
  createdAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

export interface RepositoryConflictRepository {
  add(conflicts: readonly RepositoryConflict[]): Promise<void>;
  /** A repository's conflicts, oldest first; only unacknowledged ones unless `all`. */
  list(repository: string, options: { all: boolean; limit: number }): Promise<RepositoryConflict[]>;
  get(repository: string, id: string): Promise<RepositoryConflict | undefined>;
  /** Marks a conflict acknowledged; false when it was acknowledged already (or is unknown). */
  acknowledge(repository: string, id: string, at: string, by: string): Promise<boolean>;
}
