// The storage boundary: services speak only to this interface; SQL lives behind it.
import type { AuditRepository } from './audit-repository.js';
import type { DeliveryRepository } from './delivery-repository.js';
import type { IdempotencyRepository } from './idempotency-repository.js';
import type { LinkRepository } from './link-repository.js';
import type { OperationRepository } from './operation-repository.js';
import type { OutboxRepository } from './outbox-repository.js';
import type { RepositoryConflictRepository } from './repository-conflict-repository.js';
import type { RepositorySyncRepository } from './repository-sync-repository.js';
import type { RepositoryWriteBackRepository } from './repository-writeback-repository.js';
import type { RuleRepository } from './rule-repository.js';
import type { StorageHealth } from './storage-health.js';
import type { TokenRepository } from './token-repository.js';

/** A stored story: its exact document bytes plus the indexed fields used for filtering. */
export interface StoryRecord {
  id: string;
  /** The story document exactly as the user keeps it (frontmatter + body). */
  document: string;
  version: number;
  title: string;
  status: string;
  epic: string | null;
  /** The story's `branch_name` field, when it has one. */
  branchName?: string | null;
  labels: string[];
  createdAt: string;
  updatedAt: string;
}

export interface StoryListQuery {
  status?: string;
  epic?: string;
  label?: string;
  /** Case-insensitive substring of the id, title or document. */
  q?: string;
  /** Return stories whose id sorts strictly after this one (cursor pagination). */
  afterId?: string;
  limit: number;
}

/** One story write of `updateStories`. */
export interface StoryWrite {
  /** The story as it is to be stored; `record.version` is the new version. */
  record: StoryRecord;
  /** Written only when the stored version equals this. */
  expectedVersion: number;
  /**
   * The story as stored at `expectedVersion`, when the caller has it: only the columns that
   * differ from it are written, and its labels are not rewritten when they are unchanged.
   */
  stored?: StoryRecord;
}

/** Story operations; the same methods run inside and outside a transaction. */
export interface StoryRepository {
  getStory(id: string): Promise<StoryRecord | undefined>;
  /** Stories ordered by id ascending. */
  listStories(query: StoryListQuery): Promise<StoryRecord[]>;
  /** Inserts a new story; returns false when a story with that id already exists. */
  insertStory(record: StoryRecord): Promise<boolean>;
  /**
   * Replaces a story when its stored version equals `expectedVersion`
   * (`record.version` is the new version). Returns false when the story is gone or
   * its version differs, so a stale write never overwrites a newer one. `storedLabels`: the
   * labels read at `expectedVersion`, when the caller has them; equal to `record.labels`, the
   * labels are not rewritten.
   */
  updateStory(
    record: StoryRecord,
    expectedVersion: number,
    storedLabels?: readonly string[],
  ): Promise<boolean>;
  /**
   * `updateStory` for many stories at once, in a few statements (each story id at most once).
   * Every story whose stored version equals its `expectedVersion` is replaced; the others are
   * left as they are and their ids answered, so a caller that needs all or nothing rolls back.
   */
  updateStories(writes: readonly StoryWrite[]): Promise<string[]>;
  /** Deletes a story, only at `expectedVersion` when given. Returns false when nothing matched. */
  deleteStory(id: string, expectedVersion?: number): Promise<boolean>;
  countStories(): Promise<number>;
  /** Stories by id (missing ones are left out), in id order. */
  getStories(ids: readonly string[]): Promise<StoryRecord[]>;
  /** Stories whose `branch_name` is exactly this branch. */
  findStoriesByBranch(branch: string): Promise<StoryRecord[]>;
  /** Ids of stories starting with `prefix-`, for the next free id. */
  listStoryIdsWithPrefix(prefix: string): Promise<string[]>;
}

/** Every repository; the same set is handed to a transaction. */
export interface Repositories {
  readonly stories: StoryRepository;
  readonly tokens: TokenRepository;
  readonly audit: AuditRepository;
  readonly deliveries: DeliveryRepository;
  readonly links: LinkRepository;
  readonly operations: OperationRepository;
  readonly rules: RuleRepository;
  readonly idempotency: IdempotencyRepository;
  readonly outbox: OutboxRepository;
  readonly repositorySync: RepositorySyncRepository;
  readonly repositoryWriteBacks: RepositoryWriteBackRepository;
  readonly repositoryConflicts: RepositoryConflictRepository;
}

export interface Store extends Repositories {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `fn` in one transaction: every write inside commits together or not at all. */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Cheap round trip to the database, for readiness checks. */
  ping(): Promise<void>;
  /**
   * The last storage failure (disk full, database unreachable) a transaction or a caller noted,
   * until `probeWrite` succeeds again.
   */
  readonly health: StorageHealth;
  /**
   * Commits a write that leaves no data behind (SQLite: one that needs new pages): fails when the
   * database cannot write now.
   */
  probeWrite(): Promise<void>;
  /**
   * Runs `fn` unless lock `name` is held by another caller, answering `{ ran: false }` then.
   * PostgreSQL: a session advisory lock, so one holder among every instance on the database;
   * SQLite: one holder in this process (one process serves a SQLite file).
   */
  runExclusive<T>(name: string, fn: () => Promise<T>): Promise<ExclusiveRun<T>>;
  close(): Promise<void>;
}

export type ExclusiveRun<T> = { ran: true; value: T } | { ran: false };
