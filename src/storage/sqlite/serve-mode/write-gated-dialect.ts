// The main thread's SQLite connection under `serve`, which shares the database file with the
// webhook writer thread and the inbox worker thread. Left to SQLite, a main-thread write that
// found the file locked by one of them slept in SQLite's busy handler (1, 2, 5, 10 … ms) with
// the event loop stopped, and kept missing the lock the two threads hand to each other: a story
// written during a webhook burst took 60–90 ms at p90 and the webhooks' p99 went past 100 ms.
// Here every transaction, and every write outside one, first takes the threads' shared write
// lock without blocking the event loop; then SQLite's own lock is free when it starts.
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SqliteDialect,
  type SqliteDialectConfig,
  type TransactionSettings,
} from 'kysely';

/**
 * Takes the shared write lock; resolves with the function that releases it. A bounded gate
 * rejects when the lock is not free in time (serve: 503, see server.ts).
 */
export type WriteLockGate = () => Promise<() => void>;

/**
 * A bound on waiting for the one connection: while a transaction holds it, every other query
 * of this process waits for it (Kysely's SQLite driver has one connection and a mutex), so a
 * transaction that never ends (once: a read on the store instead of `tx` inside it) would hold
 * up every later request. Past `timeoutMs` the wait rejects with `error(waitedMs)`.
 */
export interface ConnectionWait {
  timeoutMs: number;
  error(waitedMs: number): Error;
}

export class WriteGatedSqliteDialect extends SqliteDialect {
  constructor(
    config: SqliteDialectConfig,
    private readonly gate: WriteLockGate,
    private readonly connectionWait?: ConnectionWait,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new WriteGatedDriver(super.createDriver(), this.gate, this.connectionWait);
  }
}

class WriteGatedDriver implements Driver {
  /** Releases the lock the open transaction holds (SQLite has one connection: one at a time). */
  private releaseTransaction: (() => void) | undefined;
  /** The gated face of the inner driver's one connection, made at its first use. */
  private gated: DatabaseConnection | undefined;

  constructor(
    private readonly inner: Driver,
    private readonly gate: WriteLockGate,
    private readonly connectionWait: ConnectionWait | undefined,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.boundedAcquire();
    if (this.gated === undefined || inner(this.gated) !== connection) {
      this.gated = this.gatedConnection(connection);
    }
    return this.gated;
  }

  /** The inner driver's connection, or the bound's error once it has waited too long. */
  private boundedAcquire(): Promise<DatabaseConnection> {
    const acquiring = this.inner.acquireConnection();
    const wait = this.connectionWait;
    if (wait === undefined) return acquiring;
    const started = Date.now();
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(wait.error(Date.now() - started));
      }, wait.timeoutMs);
      acquiring.then(
        (connection) => {
          clearTimeout(timer);
          // Given up on: hand the connection straight back, or it stays taken for good.
          if (timedOut) void this.inner.releaseConnection(connection);
          else resolve(connection);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** `connection`, but a write outside a transaction takes the lock first. */
  private gatedConnection(connection: DatabaseConnection): DatabaseConnection {
    return {
      executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
        if (this.releaseTransaction !== undefined || !writes(query)) {
          return connection.executeQuery<R>(query);
        }
        const release = await this.gate();
        try {
          return await connection.executeQuery<R>(query);
        } finally {
          release();
        }
      },
      streamQuery: <R>(query: CompiledQuery, chunkSize?: number) =>
        connection.streamQuery<R>(query, chunkSize),
      // The inner driver gets its own connection object back.
      [INNER]: connection,
    } as DatabaseConnection;
  }

  async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    this.releaseTransaction = await this.gate();
    try {
      await this.inner.beginTransaction(inner(connection), settings);
    } catch (error) {
      this.endTransaction();
      throw error;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner.commitTransaction(inner(connection));
    } finally {
      this.endTransaction();
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner.rollbackTransaction(inner(connection));
    } finally {
      this.endTransaction();
    }
  }

  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: Parameters<NonNullable<Driver['savepoint']>>[2],
  ): Promise<void> {
    await this.inner.savepoint?.(inner(connection), name, compileQuery);
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: Parameters<NonNullable<Driver['rollbackToSavepoint']>>[2],
  ): Promise<void> {
    await this.inner.rollbackToSavepoint?.(inner(connection), name, compileQuery);
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: Parameters<NonNullable<Driver['releaseSavepoint']>>[2],
  ): Promise<void> {
    await this.inner.releaseSavepoint?.(inner(connection), name, compileQuery);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(inner(connection));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }

  private endTransaction(): void {
    const release = this.releaseTransaction;
    this.releaseTransaction = undefined;
    release?.();
  }
}

const INNER = Symbol('inner connection');

function inner(connection: DatabaseConnection): DatabaseConnection {
  return (connection as DatabaseConnection & { [INNER]?: DatabaseConnection })[INNER] ?? connection;
}

/** Whether a statement may write: anything but a select (raw SQL: not starting with one). */
function writes(query: CompiledQuery): boolean {
  if (query.query.kind === 'SelectQueryNode') return false;
  if (query.query.kind === 'RawNode') return !/^\s*select\b/i.test(query.sql);
  return true;
}
