import { createSqliteStore, SQLITE_MEMORY } from './sqlite/create-sqlite-store.js';
import type { ConnectionWait, WriteLockGate } from './sqlite/write-gated-dialect.js';
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

export type StoreLocation =
  | { dialect: 'sqlite'; filename: string }
  | { dialect: 'postgres'; connectionString: string };

const ACCEPTED_FORMS =
  'sqlite:./relative/path.db, sqlite:/absolute/path.db, sqlite::memory:, postgres://user@host:5432/db or postgresql://…';

/** Parses a STORYFLOW_DATABASE_URL value; throws an Error naming the accepted forms. */
export function parseStoreUrl(url: string): StoreLocation {
  const trimmed = url.trim();
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    return { dialect: 'postgres', connectionString: trimmed };
  }
  if (/^sqlite:/i.test(trimmed)) {
    const filename = trimmed.slice('sqlite:'.length);
    if (filename === SQLITE_MEMORY) return { dialect: 'sqlite', filename };
    // `sqlite://…` is rejected rather than guessed at (host part or absolute path?).
    if (filename !== '' && !filename.startsWith('//')) return { dialect: 'sqlite', filename };
  }
  throw new Error(
    `Unsupported STORYFLOW_DATABASE_URL ${JSON.stringify(redact(url))}: expected one of ${ACCEPTED_FORMS}`,
  );
}

/** Opens the store a database URL points at, with migrations applied. */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const location = parseStoreUrl(url);
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

/** Hides a password in URL-shaped input so error messages can be logged. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}
