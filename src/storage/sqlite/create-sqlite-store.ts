import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../database.js';
import { keepRollbackCause } from '../keep-cause-dialect.js';
import { KyselyStore } from '../kysely-store.js';
import { migrateToLatest } from '../migrations/index.js';
import { runPrecompiledDirectly } from '../precompiled-query.js';
import {
  type ConnectionWait,
  WriteGatedSqliteDialect,
  type WriteLockGate,
} from './serve-mode/write-gated-dialect.js';
import { withStatementCache } from './statement-cache.js';

export interface SqliteStoreOptions {
  /** Path of the database file (its parent directory is created), or `:memory:`. */
  filename: string;
  /** Run migrations before returning (default true). */
  migrate?: boolean;
  /** `full` (default): a commit is on disk when it returns; `normal`: after a later fsync. */
  synchronous?: 'full' | 'normal';
  /**
   * Automatic WAL checkpoints on this connection's commits: true (default, SQLite's 1,000
   * pages), false (none: another connection checkpoints), or the WAL size in pages that starts one.
   */
  autoCheckpoint?: boolean | number;
  /**
   * Taken before each transaction and each write outside one: the lock `serve`'s threads share
   * (see write-gated-dialect.ts). Without it, SQLite's busy handler decides.
   */
  writeLock?: WriteLockGate;
  /** With `writeLock`: how long a query may wait for the connection another one holds. */
  connectionWait?: ConnectionWait;
}

export const SQLITE_MEMORY = ':memory:';

/** Opens a better-sqlite3 database, sets its pragmas and wraps it in a migrated KyselyStore. */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<KyselyStore> {
  const inMemory = options.filename === SQLITE_MEMORY;
  const filename = inMemory ? SQLITE_MEMORY : resolve(options.filename);
  if (!inMemory) mkdirSync(dirname(filename), { recursive: true });

  const sqlite = new SqliteDatabase(filename);
  try {
    if (!inMemory) sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    if (options.autoCheckpoint === false) sqlite.pragma('wal_autocheckpoint = 0');
    if (typeof options.autoCheckpoint === 'number') {
      sqlite.pragma(`wal_autocheckpoint = ${Math.trunc(options.autoCheckpoint)}`);
    }
    sqlite.pragma('foreign_keys = ON');
    // Multi-row VALUES and sorts without an index build a temporary table; in a file (SQLite's
    // default) each such statement opens, writes and deletes one: measured on the webhook
    // commit path, 10 % more writes and more CPU than the commit itself needed. The statements
    // are bounded (inbox batches, list pages), so memory is where they belong.
    sqlite.pragma('temp_store = MEMORY');
    // FULL: a commit is on disk before it returns, so an acknowledged delivery survives a power
    // loss too (WAL + NORMAL only survives a process crash). Group commit pays for the fsync.
    sqlite.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    // SQLite's built-in lower() folds ASCII only; PostgreSQL's folds all of Unicode. Replace it
    // so the case-insensitive search (`lower(x) like lower(pattern)`) behaves alike on both.
    sqlite.function('lower', { deterministic: true }, (value: unknown) =>
      value === null || value === undefined ? null : String(value).toLowerCase(),
    );
  } catch (error) {
    sqlite.close();
    throw error;
  }

  const config = { database: withStatementCache(sqlite) };
  const dialect =
    options.writeLock === undefined
      ? new SqliteDialect(config)
      : new WriteGatedSqliteDialect(config, options.writeLock, options.connectionWait);
  // SQLite rolls back by itself on SQLITE_FULL / SQLITE_IOERR: the transaction's error is kept.
  const db = new Kysely<Database>({
    dialect: keepRollbackCause(dialect, { inTransaction: () => sqlite.inTransaction }),
  });
  runPrecompiledDirectly(db, config.database);
  const store = new KyselyStore(db, 'sqlite');
  if (options.migrate ?? true) {
    try {
      await migrateToLatest(db);
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}
