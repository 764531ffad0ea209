// The one query layer behind Store, shared by the SQLite and PostgreSQL dialects.
import { CompiledQuery, type Kysely, type Selectable, type SelectQueryBuilder, sql } from 'kysely';
import type { AuditRepository } from './audit-repository.js';
import {
  type Database,
  type StorageDialect,
  type StoriesTable,
  storageDialectOf,
} from './database.js';
import type { DeliveryRepository } from './delivery-repository.js';
import type { IdempotencyRepository } from './idempotency-repository.js';
import { KyselyAuditRepository } from './kysely-audit-repository.js';
import { KyselyDeliveryRepository } from './kysely-delivery-repository.js';
import { KyselyIdempotencyRepository } from './kysely-idempotency-repository.js';
import { KyselyLinkRepository } from './kysely-link-repository.js';
import { KyselyOperationRepository } from './kysely-operation-repository.js';
import { KyselyOutboxRepository } from './kysely-outbox-repository.js';
import { KyselyRepositoryConflictRepository } from './kysely-repository-conflict-repository.js';
import { KyselyRepositorySyncRepository } from './kysely-repository-sync-repository.js';
import { KyselyRepositoryWriteBackRepository } from './kysely-repository-writeback-repository.js';
import { KyselyRuleRepository } from './kysely-rule-repository.js';
import { KyselyTokenRepository } from './kysely-token-repository.js';
import type { LinkRepository } from './link-repository.js';
import type { OperationRepository } from './operation-repository.js';
import type { OutboxRepository } from './outbox-repository.js';
import type { RepositoryConflictRepository } from './repository-conflict-repository.js';
import type { RepositorySyncRepository } from './repository-sync-repository.js';
import type { RepositoryWriteBackRepository } from './repository-writeback-repository.js';
import type { RuleRepository } from './rule-repository.js';
import { StorageHealth } from './storage-health.js';
import type {
  ExclusiveRun,
  Repositories,
  Store,
  StoryListQuery,
  StoryRecord,
  StoryRepository,
  StoryWrite,
} from './store.js';
import { columnsToWrite, STORY_WRITE_CHUNK, storyWriteStatement } from './story-writes.js';
import type { TokenRepository } from './token-repository.js';

type StoryRow = Selectable<StoriesTable>;
type StoryRowQuery = SelectQueryBuilder<Database, 'stories', StoryRow>;

/** Escape character for LIKE patterns; `%`, `_` and itself are escaped in user input. */
const LIKE_ESCAPE = '\\';

export function likeContainsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `${LIKE_ESCAPE}${char}`)}%`;
}

/**
 * Story queries against a Kysely instance or transaction. Multi-statement writes open their own
 * transaction unless they already run inside one.
 */
export class KyselyStoryRepository implements StoryRepository {
  constructor(protected readonly db: Kysely<Database>) {}

  async getStory(id: string): Promise<StoryRecord | undefined> {
    const [story] = await this.selectWithLabels(
      this.db.selectFrom('stories').selectAll('stories').where('stories.id', '=', id),
    );
    return story;
  }

  async listStories(query: StoryListQuery): Promise<StoryRecord[]> {
    const limit = Math.floor(query.limit);
    if (!Number.isFinite(limit) || limit < 0) {
      throw new RangeError(`listStories: limit must be a non-negative number, got ${query.limit}`);
    }
    if (limit === 0) return [];

    let stories = this.db.selectFrom('stories').selectAll('stories');
    if (query.status !== undefined) stories = stories.where('stories.status', '=', query.status);
    if (query.epic !== undefined) stories = stories.where('stories.epic', '=', query.epic);
    if (query.label !== undefined) {
      const label = query.label;
      stories = stories.where((eb) =>
        eb.exists(
          eb
            .selectFrom('story_labels')
            .select(sql.lit(1).as('found'))
            .whereRef('story_labels.story_id', '=', 'stories.id')
            .where('story_labels.label', '=', label),
        ),
      );
    }
    if (query.q !== undefined && query.q !== '') {
      const pattern = likeContainsPattern(query.q);
      stories = stories.where((eb) =>
        eb.or(
          (['stories.id', 'stories.title', 'stories.document'] as const).map(
            (column) =>
              sql<boolean>`lower(${eb.ref(column)}) like lower(${pattern}) escape ${sql.raw(`'${LIKE_ESCAPE}'`)}`,
          ),
        ),
      );
    }
    if (query.afterId !== undefined) stories = stories.where('stories.id', '>', query.afterId);

    return this.selectWithLabels(stories.orderBy('stories.id').limit(limit));
  }

  async insertStory(record: StoryRecord): Promise<boolean> {
    return this.atomically(async (db) => {
      const result = await db
        .insertInto('stories')
        .values(toRow(record))
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      if ((result.numInsertedOrUpdatedRows ?? 0n) === 0n) return false;
      await insertLabels(db, record.id, record.labels);
      return true;
    });
  }

  async updateStory(
    record: StoryRecord,
    expectedVersion: number,
    storedLabels?: readonly string[],
  ): Promise<boolean> {
    return this.atomically(async (db) => {
      const { id, ...changes } = toRow(record);
      const result = await db
        .updateTable('stories')
        .set(changes)
        .where('id', '=', id)
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return false;
      // The row was at expectedVersion, so its labels are the ones read with it.
      if (storedLabels !== undefined && sameLabels(storedLabels, record.labels)) return true;
      await db.deleteFrom('story_labels').where('story_id', '=', id).execute();
      await insertLabels(db, id, record.labels);
      return true;
    });
  }

  async updateStories(writes: readonly StoryWrite[]): Promise<string[]> {
    if (writes.length === 0) return [];
    const ids = new Set<string>();
    for (const { record } of writes) {
      if (ids.has(record.id)) throw new Error(`updateStories: story ${record.id} is written twice`);
      ids.add(record.id);
    }
    const dialect = storageDialectOf(this.db);
    return this.atomically(async (db) => {
      const written = new Set<string>();
      for (let start = 0; start < writes.length; start += STORY_WRITE_CHUNK) {
        const chunk = writes.slice(start, start + STORY_WRITE_CHUNK);
        const statement = storyWriteStatement(dialect, chunk, columnsToWrite(chunk));
        const result = await db.executeQuery<{ id: string }>(
          CompiledQuery.raw(statement.sql, statement.parameters),
        );
        for (const row of result.rows) written.add(row.id);
      }
      // A written row was at its expected version, so its labels are the stored ones.
      await replaceLabels(
        db,
        writes
          .filter(
            ({ record, stored }) =>
              written.has(record.id) &&
              (stored === undefined || !sameLabels(stored.labels, record.labels)),
          )
          .map(({ record }) => record),
      );
      return writes.filter(({ record }) => !written.has(record.id)).map(({ record }) => record.id);
    });
  }

  async deleteStory(id: string, expectedVersion?: number): Promise<boolean> {
    // story_labels rows go with it (ON DELETE CASCADE).
    let query = this.db.deleteFrom('stories').where('id', '=', id);
    if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
    const result = await query.executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async countStories(): Promise<number> {
    const row = await this.db
      .selectFrom('stories')
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow();
    // PostgreSQL returns count(*) as a bigint string, SQLite as a number.
    return Number(row.count);
  }

  async getStories(ids: readonly string[]): Promise<StoryRecord[]> {
    if (ids.length === 0) return [];
    return this.selectWithLabels(
      this.db
        .selectFrom('stories')
        .selectAll('stories')
        .where('stories.id', 'in', [...ids]),
    );
  }

  async findStoriesByBranch(branch: string): Promise<StoryRecord[]> {
    return this.selectWithLabels(
      this.db.selectFrom('stories').selectAll('stories').where('stories.branch_name', '=', branch),
    );
  }

  async listStoryIdsWithPrefix(prefix: string): Promise<string[]> {
    // Story id prefixes are [A-Z][A-Z0-9]*, so nothing in them is special to LIKE.
    if (!/^[A-Z][A-Z0-9]*$/.test(prefix)) return [];
    const rows = await this.db
      .selectFrom('stories')
      .select('id')
      .where('id', 'like', `${prefix}-%`)
      .execute();
    // SQLite's LIKE ignores case; ids are case-sensitive.
    return rows.map((row) => row.id).filter((id) => id.startsWith(`${prefix}-`));
  }

  /** Runs `fn` in a transaction, or directly when this repository is already inside one. */
  protected atomically<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this.db);
    return this.db.transaction().execute(fn);
  }

  /**
   * Runs a story query and attaches labels in stored order, in one statement so the stories
   * and their labels come from the same snapshot.
   */
  private async selectWithLabels(stories: StoryRowQuery): Promise<StoryRecord[]> {
    const rows = await this.db
      .selectFrom(stories.as('s'))
      .leftJoin('story_labels as l', 'l.story_id', 's.id')
      .selectAll('s')
      .select(['l.label', 'l.position'])
      .orderBy('s.id')
      .orderBy('l.position')
      .execute();

    const records: StoryRecord[] = [];
    let current: StoryRecord | undefined;
    for (const row of rows) {
      if (current?.id !== row.id) {
        current = fromRow(row);
        records.push(current);
      }
      if (row.label !== null) current.labels.push(row.label);
    }
    return records;
  }
}

/** The repositories bound to one Kysely instance or transaction. */
export function createRepositories(db: Kysely<Database>): Repositories {
  return {
    stories: new KyselyStoryRepository(db),
    tokens: new KyselyTokenRepository(db),
    audit: new KyselyAuditRepository(db),
    deliveries: new KyselyDeliveryRepository(db),
    links: new KyselyLinkRepository(db),
    operations: new KyselyOperationRepository(db),
    rules: new KyselyRuleRepository(db),
    idempotency: new KyselyIdempotencyRepository(db),
    outbox: new KyselyOutboxRepository(db),
    repositorySync: new KyselyRepositorySyncRepository(db),
    repositoryWriteBacks: new KyselyRepositoryWriteBackRepository(db),
    repositoryConflicts: new KyselyRepositoryConflictRepository(db),
  };
}

/** The key of SQLite's probe row: 16 KB, so it needs overflow pages of its own. */
const PROBE_ROW_ID = `readiness-probe:${'.'.repeat(16_384)}`;

/** A Store over a Kysely<Database>; the dialect-specific factories build the Kysely instance. */
export class KyselyStore implements Store {
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
  readonly health = new StorageHealth();

  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: StorageDialect,
  ) {
    const repositories = createRepositories(db);
    this.stories = repositories.stories;
    this.tokens = repositories.tokens;
    this.audit = repositories.audit;
    this.deliveries = repositories.deliveries;
    this.links = repositories.links;
    this.operations = repositories.operations;
    this.rules = repositories.rules;
    this.idempotency = repositories.idempotency;
    this.outbox = repositories.outbox;
    this.repositorySync = repositories.repositorySync;
    this.repositoryWriteBacks = repositories.repositoryWriteBacks;
    this.repositoryConflicts = repositories.repositoryConflicts;
  }

  /** The underlying Kysely instance, for migrations and tooling inside src/storage. */
  get kysely(): Kysely<Database> {
    return this.db;
  }

  async transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction().execute((trx) => fn(createRepositories(trx)));
    } catch (error) {
      this.health.noteError(error);
      throw error;
    }
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async probeWrite(): Promise<void> {
    if (this.dialect === 'postgres') {
      // The row Kysely's migrator keeps, set to what it is: still a new row version and WAL.
      await sql`update kysely_migration_lock set is_locked = is_locked where id = 'migration_lock'`.execute(
        this.db,
      );
      return;
    }
    // SQLite: a row bigger than a page, inserted and deleted in one committed transaction. It
    // takes new pages (the database must be able to grow) and writes them to the WAL (the disk
    // must take the frames); what stays behind is a few free pages that later writes reuse.
    await this.db.transaction().execute(async (trx) => {
      await sql`insert into kysely_migration_lock (id, is_locked) values (${PROBE_ROW_ID}, 0)`.execute(
        trx,
      );
      await sql`delete from kysely_migration_lock where id = ${PROBE_ROW_ID}`.execute(trx);
    });
  }

  async runExclusive<T>(name: string, fn: () => Promise<T>): Promise<ExclusiveRun<T>> {
    if (this.dialect === 'sqlite') {
      if (this.heldLocks.has(name)) return { ran: false };
      this.heldLocks.add(name);
      try {
        return { ran: true, value: await fn() };
      } finally {
        this.heldLocks.delete(name);
      }
    }
    // A session lock on one pinned connection, released on it: no transaction stays open while
    // `fn` runs (it may wait on other services for minutes), and a dead session frees the lock.
    return this.db.connection().execute(async (connection) => {
      const { rows } = await sql<{
        locked: boolean;
      }>`select pg_try_advisory_lock(hashtext(${name})) as locked`.execute(connection);
      if (rows[0]?.locked !== true) return { ran: false };
      try {
        return { ran: true, value: await fn() };
      } finally {
        await sql`select pg_advisory_unlock(hashtext(${name}))`.execute(connection);
      }
    });
  }

  private readonly heldLocks = new Set<string>();

  /** Closes the connections; closing twice is harmless. */
  close(): Promise<void> {
    this.closing ??= this.db.destroy();
    return this.closing;
  }

  private closing: Promise<void> | undefined;
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((label, index) => label === b[index]);
}

async function insertLabels(db: Kysely<Database>, storyId: string, labels: string[]) {
  // A label is stored once per story (primary key); the first occurrence keeps its position.
  const unique = [...new Set(labels)];
  if (unique.length === 0) return;
  await db
    .insertInto('story_labels')
    .values(unique.map((label, position) => ({ story_id: storyId, label, position })))
    .execute();
}

/** Stories per label statement (the ids of a DELETE, the label rows of an INSERT). */
const LABEL_CHUNK = 500;

/** Replaces the stored labels of each story with its record's labels. */
async function replaceLabels(db: Kysely<Database>, records: readonly StoryRecord[]) {
  for (let start = 0; start < records.length; start += LABEL_CHUNK) {
    const ids = records.slice(start, start + LABEL_CHUNK).map((record) => record.id);
    await db.deleteFrom('story_labels').where('story_id', 'in', ids).execute();
  }
  const rows = records.flatMap((record) =>
    // A label is stored once per story (primary key); the first occurrence keeps its position.
    [...new Set(record.labels)].map((label, position) => ({
      story_id: record.id,
      label,
      position,
    })),
  );
  for (let start = 0; start < rows.length; start += LABEL_CHUNK) {
    await db
      .insertInto('story_labels')
      .values(rows.slice(start, start + LABEL_CHUNK))
      .execute();
  }
}

function toRow(record: StoryRecord): StoryRow {
  return {
    id: record.id,
    document: record.document,
    version: record.version,
    title: record.title,
    status: record.status,
    epic: record.epic,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    branch_name: record.branchName ?? null,
  };
}

function fromRow(row: StoryRow): StoryRecord {
  return {
    id: row.id,
    document: row.document,
    version: Number(row.version),
    title: row.title,
    status: row.status,
    epic: row.epic,
    branchName: row.branch_name,
    labels: [],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
