import { type Kysely, sql } from 'kysely';
import { storageDialectOf } from '../database.js';

// Stories as code, no lost edit (docs/git-sync.md, "Conflicts"): a key changed both in storyflow
// and in the repository since the last sync. The repository's value was kept; the row keeps
// storyflow's losing value (JSON, null when storyflow removed the key) until someone
// acknowledges it.
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = storageDialectOf(db) === 'postgres';
  const text = postgres ? sql`text collate "C"` : sql`text`;
  await db.schema
    .createTable('repository_conflicts')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('repository', text, (col) => col.notNull())
    .addColumn('path', text, (col) => col.notNull())
    .addColumn('story_id', text, (col) => col.notNull())
    .addColumn('key', 'text', (col) => col.notNull())
    .addColumn('storyflow_value', 'text')
    .addColumn('repository_value', 'text')
    .addColumn('commit_sha', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('acknowledged_at', 'text')
    .addColumn('acknowledged_by', 'text')
    .execute();
  await db.schema
    .createIndex('repository_conflicts_listed')
    .on('repository_conflicts')
    .columns(['repository', 'created_at', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('repository_conflicts').execute();
}
