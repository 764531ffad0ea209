// Kysely builds and compiles a query's SQL each time it runs: about 9 µs per statement on the
// development VM, more than SQLite takes to run most of storyflow's. The statements the inbox
// worker runs for every delivery (inside the write lock the webhook commits wait for) are
// compiled once per dialect instead — by Kysely, from the same builder code, with a marker
// value standing for each parameter — and then run with each call's values.
import { type Compilable, CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import { type Database, type StorageDialect, storageDialectOf } from './database.js';

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
