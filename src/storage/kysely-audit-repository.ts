// Audit log queries over Kysely, shared by the SQLite and PostgreSQL dialects.
import { CompiledQuery, type Kysely, type Selectable } from 'kysely';
import {
  type AuditActorType,
  type AuditEntry,
  type AuditEntryInput,
  normalizeAuditEntryInput,
  storedActor,
} from '../domain/audit/audit-entry.js';
import { computeAuditHash } from '../domain/audit/compute-audit-hash.js';
import type { JsonValue } from '../domain/story/json-value.js';
import type { AuditChainHead, AuditQuery, AuditRepository } from './audit-repository.js';
import {
  type AuditEntriesTable,
  type Database,
  type StorageDialect,
  storageDialectOf,
} from './database.js';
import { PrecompiledQuery } from './precompiled-query.js';

type AuditRow = Selectable<AuditEntriesTable>;

/**
 * Rows per INSERT: 19 parameters each stays well under SQLite's limit (PostgreSQL binds one array
 * per column).
 */
const INSERT_CHUNK = 500;

/**
 * Appends and reads audit entries. Appends are serialised through the single
 * `audit_chain_head` row: the first statement of a transaction's first append is an UPDATE of
 * that row, which takes its row lock on PostgreSQL (a concurrent appender blocks there until
 * this transaction commits or rolls back, then reads the new head) and the database write lock
 * on SQLite. Later appends in the same transaction chain on from the head it holds.
 */
export class KyselyAuditRepository implements AuditRepository {
  /**
   * The chain head this repository's transaction holds (after its first append): it cannot
   * change under the transaction, so later appends in it need not read it again. One repository
   * is bound to each transaction (createRepositories), and no code appends to it another way.
   */
  private heldHead: AuditChainHead | undefined;

  constructor(private readonly db: Kysely<Database>) {}

  async append(entries: AuditEntryInput[]): Promise<AuditEntry[]> {
    if (entries.length === 0) return [];
    return this.atomically(async (db) => {
      const head = this.heldHead ?? (await lockChainHead(db));
      let prevHash = head.hash;
      let seq = head.seq;
      const stored: AuditEntry[] = entries.map((input) => {
        const entry = normalizeAuditEntryInput(input);
        seq += 1;
        const hash = computeAuditHash(prevHash, seq, entry);
        const chained: AuditEntry = { ...entry, seq, prevHash, hash };
        prevHash = hash;
        return chained;
      });

      // Built without the query builder: it costs more than the insert itself for 1,000 rows.
      const dialect = storageDialectOf(db);
      for (let start = 0; start < stored.length; start += INSERT_CHUNK) {
        const chunk = stored.slice(start, start + INSERT_CHUNK);
        await db.executeQuery(
          CompiledQuery.raw(insertSql(dialect, chunk.length), insertParameters(dialect, chunk)),
        );
      }
      await MOVE_CHAIN_HEAD.execute(db, { seq, hash: prevHash });
      if (this.db.isTransaction) this.heldHead = { seq, hash: prevHash };
      return stored;
    });
  }

  async list(query: AuditQuery): Promise<AuditEntry[]> {
    const limit = checkedLimit('list', query.limit);
    if (limit === 0) return [];

    let rows = this.db.selectFrom('audit_entries').selectAll();
    if (query.story !== undefined) {
      rows = rows.where('target_type', '=', 'story').where('target_id', '=', query.story);
    }
    if (query.actor !== undefined) {
      const actor = query.actor;
      rows = rows.where((eb) =>
        eb.or([
          eb('actor_id', '=', actor),
          eb('actor_name', '=', actor),
          eb('actor_person', '=', actor),
          eb('actor_login', '=', actor),
        ]),
      );
    }
    if (query.action !== undefined) rows = rows.where('action', '=', query.action);
    if (query.targetType !== undefined) rows = rows.where('target_type', '=', query.targetType);
    if (query.targetId !== undefined) rows = rows.where('target_id', '=', query.targetId);
    if (query.since !== undefined) rows = rows.where('occurred_at', '>=', query.since);
    if (query.operationId !== undefined) {
      rows = rows.where('operation_id', '=', query.operationId);
    }
    if (query.deliveryId !== undefined) rows = rows.where('delivery_id', '=', query.deliveryId);
    if (query.batchId !== undefined) rows = rows.where('batch_id', '=', query.batchId);
    if (query.afterSeq !== undefined) rows = rows.where('seq', '>', query.afterSeq);

    return (await rows.orderBy('seq').limit(limit).execute()).map(fromRow);
  }

  async scan(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    const count = checkedLimit('scan', limit);
    if (count === 0) return [];
    const rows = await this.db
      .selectFrom('audit_entries')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(count)
      .execute();
    return rows.map(fromRow);
  }

  /** The seq and hash the next append chains from, without locking. */
  async head(): Promise<AuditChainHead | undefined> {
    const row = await this.db
      .selectFrom('audit_chain_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirst();
    return row === undefined ? undefined : { seq: Number(row.seq), hash: row.hash };
  }

  /** Runs `fn` in a transaction, or directly when this repository is already inside one. */
  private atomically<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this.db);
    return this.db.transaction().execute(fn);
  }
}

/**
 * Reads the chain head through a no-op UPDATE, so this transaction holds the head row (and on
 * SQLite the write lock) until it ends: concurrent appenders queue here and never fork the chain.
 */
async function lockChainHead(db: Kysely<Database>): Promise<AuditChainHead> {
  const [row] = (await LOCK_CHAIN_HEAD.execute(db, {})).rows;
  if (row === undefined) {
    throw new Error('The audit chain head row (audit_chain_head id = 1) is missing.');
  }
  return { seq: Number(row.seq), hash: row.hash };
}

// Run in every transaction that appends (the inbox worker's, many a second): compiled once
// (see precompiled-query.ts).
const LOCK_CHAIN_HEAD = new PrecompiledQuery<Record<string, never>, { seq: number; hash: string }>(
  [],
  (db) =>
    db
      .updateTable('audit_chain_head')
      .set((eb) => ({ seq: eb.ref('seq') }))
      .where('id', '=', 1)
      .returning(['seq', 'hash']),
);

const MOVE_CHAIN_HEAD = new PrecompiledQuery<{ seq: number; hash: string }>(
  ['seq', 'hash'],
  (db, { seq, hash }) => db.updateTable('audit_chain_head').set({ seq, hash }).where('id', '=', 1),
);

function checkedLimit(method: string, limit: number): number {
  const count = Math.floor(limit);
  if (!Number.isFinite(count) || count < 0) {
    throw new RangeError(`${method}: limit must be a non-negative number, got ${limit}`);
  }
  return count;
}

/** The audit_entries columns, in the order pushRow gives their values. */
const AUDIT_COLUMNS = [
  'seq',
  'occurred_at',
  'actor_type',
  'actor_id',
  'actor_name',
  'actor_person',
  'actor_login',
  'action',
  'target_type',
  'target_id',
  'before_json',
  'after_json',
  'request_id',
  'operation_id',
  'delivery_id',
  'batch_id',
  'reason',
  'prev_hash',
  'hash',
] as const satisfies readonly (keyof AuditEntriesTable)[];

/** Appends an entry's column values, in AUDIT_COLUMNS order, to `row`. */
function pushRow(row: unknown[], entry: AuditEntry): void {
  row.push(
    entry.seq,
    entry.occurredAt,
    entry.actor.type,
    entry.actor.id,
    entry.actor.name,
    entry.actor.person ?? null,
    entry.actor.login ?? null,
    entry.action,
    entry.targetType,
    entry.targetId,
    entry.before === null ? null : JSON.stringify(entry.before),
    entry.after === null ? null : JSON.stringify(entry.after),
    entry.requestId,
    entry.operationId,
    entry.deliveryId,
    entry.batchId,
    entry.reason,
    entry.prevHash,
    entry.hash,
  );
}

/** insertSql's parameters: every value row by row (SQLite), one array per column (PostgreSQL). */
function insertParameters(dialect: StorageDialect, entries: readonly AuditEntry[]): unknown[] {
  const values: unknown[] = [];
  for (const entry of entries) pushRow(values, entry);
  if (dialect !== 'postgres') return values;
  const width = AUDIT_COLUMNS.length;
  return AUDIT_COLUMNS.map((_column, index) => {
    const column: unknown[] = new Array(entries.length);
    for (let row = 0; row < entries.length; row++) column[row] = values[row * width + index];
    return column;
  });
}

const insertSqlCache = new Map<string, string>();

/**
 * `insert into audit_entries (…)` of `rows` rows: a VALUES list on SQLite; on PostgreSQL the
 * rows of unnest over one array per column, which it parses and plans faster.
 */
function insertSql(dialect: StorageDialect, rows: number): string {
  const key = dialect === 'postgres' ? dialect : `${dialect}:${rows}`;
  const cached = insertSqlCache.get(key);
  if (cached !== undefined) return cached;
  const source =
    dialect === 'postgres'
      ? `select * from unnest(${AUDIT_COLUMNS.map(
          (column, index) => `$${index + 1}::${column === 'seq' ? 'integer' : 'text'}[]`,
        ).join(', ')})`
      : `values ${Array.from({ length: rows }, () => `(${AUDIT_COLUMNS.map(() => '?').join(', ')})`).join(', ')}`;
  const text = `insert into audit_entries (${AUDIT_COLUMNS.join(', ')}) ${source}`;
  if (insertSqlCache.size >= 64) insertSqlCache.clear();
  insertSqlCache.set(key, text);
  return text;
}

function fromRow(row: AuditRow): AuditEntry {
  return {
    seq: Number(row.seq),
    occurredAt: row.occurred_at,
    actor: storedActor({
      type: row.actor_type as AuditActorType,
      id: row.actor_id,
      name: row.actor_name,
      person: row.actor_person,
      login: row.actor_login,
    }),
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    before: parseJson(row.before_json),
    after: parseJson(row.after_json),
    requestId: row.request_id,
    operationId: row.operation_id,
    deliveryId: row.delivery_id,
    batchId: row.batch_id,
    reason: row.reason,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * Stored JSON text back to a value. Text that is not JSON (a row edited by hand) is returned
 * as the string itself, so verification reports the entry as altered instead of failing.
 */
function parseJson(text: string | null): JsonValue | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}
