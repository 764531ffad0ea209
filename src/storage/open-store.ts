import { parseStoreLocation, type StoreLocation, StoreUrlError } from '../config/store-location.js';
import { createSqliteStore } from './sqlite/create-sqlite-store.js';
import type { ConnectionWait, WriteLockGate } from './sqlite/serve-mode/write-gated-dialect.js';
import type { Store } from './store.js';

export { migrateToLatest } from './migrations/index.js';

export interface OpenStoreOptions {
  /** PostgreSQL only: keep the tables in this schema (created when missing). */
  schema?: string;
  /** PostgreSQL only: maximum pooled connections (default 10). */
  poolSize?: number;
  /**
   * SQLite only: `full` (default) — a commit is on disk when it returns; `normal` — it survives
   * a crash of the process but maybe not a power cut (for work that is redone when lost).
   */
  sqliteSynchronous?: 'full' | 'normal';
  /**
   * SQLite only: false turns off the automatic WAL checkpoints on this connection's commits
   * (another connection checkpoints: `serve`'s WAL checkpoint thread).
   */
  sqliteAutoCheckpoint?: boolean;
  /**
   * SQLite only: the write lock shared with `serve`'s threads, taken (without blocking the event
   * loop) before each transaction and each write outside one.
   */
  sqliteWriteLock?: WriteLockGate;
  /** SQLite only, with sqliteWriteLock: a bound on waiting for the one connection. */
  sqliteConnectionWait?: ConnectionWait;
  /** PostgreSQL only: a pooled connection failed (e.g. the server restarted). */
  onConnectionError?: (error: Error) => void;
}

export type { StoreLocation } from '../config/store-location.js';

/**
 * Parses a database URL (tests and tools; storyflow itself parses it once, in config).
 * @throws Error naming STORYFLOW_DATABASE_URL and the accepted forms.
 */
export function parseStoreUrl(url: string): StoreLocation {
  try {
    return parseStoreLocation(url);
  } catch (error) {
    if (!(error instanceof StoreUrlError)) throw error;
    throw new Error(`Unsupported STORYFLOW_DATABASE_URL: ${error.message}`);
  }
}

/**
 * Opens the store at a location (Config.database), with migrations applied. A URL string is
 * parsed first, for tests and tools.
 */
export async function openStore(
  where: StoreLocation | string,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const location = typeof where === 'string' ? parseStoreUrl(where) : where;
  if (location.dialect === 'sqlite') {
    return createSqliteStore({
      filename: location.filename,
      ...(options.sqliteSynchronous === undefined
        ? {}
        : { synchronous: options.sqliteSynchronous }),
      ...(options.sqliteAutoCheckpoint === undefined
        ? {}
        : { autoCheckpoint: options.sqliteAutoCheckpoint }),
      ...(options.sqliteWriteLock === undefined ? {} : { writeLock: options.sqliteWriteLock }),
      ...(options.sqliteConnectionWait === undefined
        ? {}
        : { connectionWait: options.sqliteConnectionWait }),
    });
  }
  // Loaded only when used: `pg` costs memory that a SQLite server never needs.
  const { createPostgresStore } = await import('./postgres/create-postgres-store.js');
  return createPostgresStore({
    connectionString: location.connectionString,
    ...(options.schema !== undefined ? { schema: options.schema } : {}),
    ...(options.poolSize !== undefined ? { poolSize: options.poolSize } : {}),
    ...(options.onConnectionError !== undefined
      ? { onConnectionError: options.onConnectionError }
      : {}),
  });
}
