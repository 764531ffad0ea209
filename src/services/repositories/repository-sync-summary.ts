// What a repository sync did (its API answer), where it starts and ends, and its empty summary.
import type { RepositorySyncPlan } from '../../domain/repositories/plan-repository-sync.js';

/** What a sync did, as the API answers it. */
export interface RepositorySyncSummary {
  repository: string;
  branch: string;
  /** The commit synced from (null: the whole tree was read) and to. */
  fromSha: string | null;
  sha: string;
  created: string[];
  updated: string[];
  unchanged: string[];
  /** Files that moved; their stories stay bound to the new path. */
  renamed: { storyId: string; from: string; to: string }[];
  /** Stories whose file was deleted (or now holds another id), by what happened to them. */
  unbound: string[];
  cancelled: string[];
  deleted: string[];
  /**
   * Files not imported: one id in several files (no cause); or the id is bound to a file of
   * another repository (`bound-elsewhere`), or is a story made in storyflow whose document is
   * not the file's bytes (`made-in-storyflow`).
   */
  conflicts: {
    storyId: string;
    paths: string[];
    cause?: 'bound-elsewhere' | 'made-in-storyflow';
    boundIn?: { repository: string; path: string };
  }[];
  /** Files in the glob that are not story documents storyflow accepts. */
  errors: { path: string; message: string }[];
  /** Stories changed in storyflow and in the file since the last sync, merged three-way. */
  merged: string[];
  /** Keys changed on both sides: the repository's value was kept (GET …/conflicts lists them). */
  mergeConflicts: { id: string; storyId: string; path: string; key: string }[];
}

/** Where a sync starts and ends. */
export interface SyncPoint {
  branch: string;
  fromSha: string | null;
  /** The sync point when the sync started (fromSha is null for a whole-folder sync). */
  startedFrom: string | null;
  head: string;
  /** Pushes recorded before the fetch: the ones this sync covers. */
  pushesCovered: number;
}

export function emptySummary(
  name: string,
  plan: RepositorySyncPlan,
  at: SyncPoint,
): RepositorySyncSummary {
  return {
    repository: name,
    branch: at.branch,
    fromSha: at.fromSha,
    sha: at.head,
    created: [],
    updated: [],
    unchanged: [],
    renamed: [],
    unbound: [],
    cancelled: [],
    deleted: [],
    conflicts: plan.conflicts,
    errors: plan.errors,
    merged: [],
    mergeConflicts: [],
  };
}
