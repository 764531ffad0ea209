import { type Kysely, sql } from 'kysely';
import { storageDialectOf } from '../database.js';

// Stories as code, outbound (docs/git-sync.md): a change to a bound story made in storyflow
// records a write-back intent in the change's own transaction, so it is never lost; the
// write-back runner turns the intents of a repository into one commit, and deletes them once
// the push landed. `repository_bindings_by_story` finds a story's file for each change.
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = storageDialectOf(db) === 'postgres';
  const text = postgres ? sql`text collate "C"` : sql`text`;
  await db.schema
    .createTable('repository_writebacks')
    .addColumn('id', text, (col) => col.primaryKey())
    .addColumn('repository', text, (col) => col.notNull())
    .addColumn('story_id', text, (col) => col.notNull())
    // The operation the change belongs to (its trailer), and one line of the commit message.
    .addColumn('operation_id', 'text', (col) => col.notNull())
    .addColumn('summary', 'text', (col) => col.notNull())
    .addColumn('queued_at', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull())
    .addColumn('next_attempt_at', 'text', (col) => col.notNull())
    .addColumn('last_error', 'text')
    .execute();
  await db.schema
    .createIndex('repository_writebacks_due')
    .on('repository_writebacks')
    .columns(['repository', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('repository_bindings_by_story')
    .on('repository_bindings')
    .column('story_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('repository_bindings_by_story').execute();
  await db.schema.dropTable('repository_writebacks').execute();
}
