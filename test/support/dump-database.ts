// Every row of every table of a store's database (on PostgreSQL: of its own schema), as sorted
// JSON lines per table: two dumps are equal when the database holds exactly the same data.
import { sql } from 'kysely';
import type { KyselyStore } from '../../src/storage/kysely-store.js';
import type { Store } from '../../src/storage/store.js';

export async function dumpDatabase(store: Store): Promise<Record<string, string[]>> {
  const db = (store as KyselyStore).kysely;
  const schema =
    store.dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]
          ?.schema
      : undefined;
  const tables = (await db.introspection.getTables({ withInternalKyselyTables: true }))
    .filter((table) => !table.isView && (schema === undefined || table.schema === schema))
    .map((table) => table.name)
    .sort();
  const dump: Record<string, string[]> = {};
  for (const table of tables) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(
      db,
    );
    dump[table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return dump;
}
