// Kysely builds and compiles a query's SQL each time it runs: about 9 µs per statement on the
// development VM, more than SQLite takes to run most of storyflow's. The statements the inbox
// worker runs for every delivery (inside the write lock the webhook commits wait for) are
// compiled once per dialect instead — by Kysely, from the same builder code, with a marker
// value standing for each parameter — and then run with each call's values. Inside a SQLite
// transaction they run on the connection's cached statement directly: the transaction already
// holds the one connection, and Kysely's executor (plugins, connection provider, driver, async
// hops) cost another ~10 µs per statement, as much as SQLite's own work for an inbox insert
// (docs/performance.md, "One SQLite seam").
import {
  type Compilable,
  CompiledQuery,
  type Kysely,
  type QueryResult,
  type SqliteDatabase,
} from 'kysely';
import { type Database, type StorageDialect, storageDialectOf } from './database.js';

/** The SQLite connection behind each Kysely instance's adapter (shared by its transactions). */
const sqliteConnections = new WeakMap<object, SqliteDatabase>();

/** Lets precompiled queries run in `db`'s transactions straight on `connection` (SQLite only). */
export function runPrecompiledDirectly(db: Kysely<Database>, connection: SqliteDatabase): void {
  sqliteConnections.set(db.getExecutor().adapter, connection);
}

const MARKER = '\u0000storyflow-parameter:';

interface Compiled<Params> {
  sql: string;
  /** For each compiled parameter: the name of the value it stands for, or a constant. */
  slots: ({ name: keyof Params } | { constant: unknown })[];
}

export class PrecompiledQuery<Params extends Record<string, unknown>, Row = unknown> {
  private readonly compiled = new Map<StorageDialect, Compiled<Params>>();

  /**
   * `build` receives markers in place of the values; it must pass each one to the builder as a
   * value (a parameter), never use it in the query's shape (a column, a branch in the code).
   */
  constructor(
    private readonly names: readonly (keyof Params & string)[],
    private readonly build: (db: Kysely<Database>, params: Params) => Compilable<Row>,
  ) {}

  async execute(db: Kysely<Database>, params: Params): Promise<QueryResult<Row>> {
    const compiled = this.compiledFor(db);
    const parameters = compiled.slots.map((slot) =>
      'name' in slot ? params[slot.name] : slot.constant,
    );
    // Only inside a transaction: outside one, Kysely's connection mutex must order the queries.
    const connection = db.isTransaction
      ? sqliteConnections.get(db.getExecutor().adapter)
      : undefined;
    if (connection !== undefined) {
      // As Kysely's SqliteDriver runs a statement, without the executor around it.
      const statement = connection.prepare(compiled.sql);
      if (statement.reader) return { rows: statement.all(parameters) as Row[] };
      const { changes } = statement.run(parameters);
      return { rows: [], numAffectedRows: BigInt(changes) };
    }
    return db.executeQuery(CompiledQuery.raw(compiled.sql, parameters) as CompiledQuery<Row>);
  }

  private compiledFor(db: Kysely<Database>): Compiled<Params> {
    const dialect = storageDialectOf(db);
    let compiled = this.compiled.get(dialect);
    if (compiled === undefined) {
      const markers = Object.fromEntries(this.names.map((name) => [name, `${MARKER}${name}`]));
      const query = this.build(db, markers as Params).compile();
      const seen = new Set<string>();
      const slots = query.parameters.map((value) => {
        if (typeof value === 'string' && value.startsWith(MARKER)) {
          const name = value.slice(MARKER.length);
          seen.add(name);
          return { name: name as keyof Params };
        }
        return { constant: value };
      });
      const missing = this.names.filter((name) => !seen.has(name));
      if (missing.length > 0) {
        throw new Error(`PrecompiledQuery: ${missing.join(', ')} did not become parameters`);
      }
      compiled = { sql: query.sql, slots };
      this.compiled.set(dialect, compiled);
    }
    return compiled;
  }
}
