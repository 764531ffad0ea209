// When a transaction fails, Kysely rolls it back, and an error of that rollback replaces the
// transaction's own error. Two cases made the real cause vanish:
// - SQLite rolls a transaction back by itself on SQLITE_FULL or SQLITE_IOERR; the ROLLBACK then
//   fails with "cannot rollback - no transaction is active", which was all a delivery recorded.
// - PostgreSQL: when the connection died mid-transaction (server restart, failover), the
//   ROLLBACK fails too ("Client has encountered a connection error and is not queryable");
//   Kysely discards that connection, and the server has ended the transaction with it.
// This dialect wrapper lets the transaction's error through in both cases.
import type {
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  TransactionSettings,
} from 'kysely';

export interface KeepCauseOptions {
  /**
   * SQLite: whether the connection is inside a transaction now (better-sqlite3's
   * `inTransaction`). A failed ROLLBACK is ignored only when it was not. Absent (PostgreSQL): a
   * failed ROLLBACK is always ignored, since Kysely discards that connection.
   */
  inTransaction?: () => boolean;
}

/** `dialect`, with rollback failures that would hide the transaction's error ignored. */
export function keepRollbackCause(dialect: Dialect, options: KeepCauseOptions = {}): Dialect {
  return {
    createAdapter: (): DialectAdapter => dialect.createAdapter(),
    createDriver: (): Driver => new KeepCauseDriver(dialect.createDriver(), options),
    createIntrospector: (db: Kysely<unknown>): DatabaseIntrospector =>
      dialect.createIntrospector(db),
    createQueryCompiler: (): QueryCompiler => dialect.createQueryCompiler(),
  };
}

class KeepCauseDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly options: KeepCauseOptions,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  acquireConnection(): Promise<DatabaseConnection> {
    return this.inner.acquireConnection();
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const rolledBackAlready = this.options.inTransaction?.() === false;
    try {
      // Called even when SQLite rolled back already: a wrapped driver may hold a lock for the
      // transaction that its rollback releases.
      await this.inner.rollbackTransaction(connection);
    } catch (error) {
      if (this.options.inTransaction === undefined || rolledBackAlready) return;
      throw error;
    }
  }

  savepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: Parameters<NonNullable<Driver['savepoint']>>[2],
  ): Promise<void> {
    return this.inner.savepoint?.(connection, name, compileQuery) ?? Promise.resolve();
  }

  rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: Parameters<NonNullable<Driver['rollbackToSavepoint']>>[2],
  ): Promise<void> {
    return this.inner.rollbackToSavepoint?.(connection, name, compileQuery) ?? Promise.resolve();
  }

  releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: Parameters<NonNullable<Driver['releaseSavepoint']>>[2],
  ): Promise<void> {
    return this.inner.releaseSavepoint?.(connection, name, compileQuery) ?? Promise.resolve();
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(connection);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
