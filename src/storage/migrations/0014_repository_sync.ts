import { type Kysely, sql } from 'kysely';
import { storageDialectOf } from '../database.js';

// Stories as code (docs/git-sync.md): which story each file of a configured repository is bound
// to, and each repository's sync state. A push records that a sync is wanted (`pending_pushes`)
// in the delivery's transaction; the sync runner does the git work later, off the webhook path,
// and records the commit it reached, or its failure and when to try again.
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = storageDialectOf(db) === 'postgres';
  const text = postgres ? sql`text collate "C"` : sql`text`;
  await db.schema
    .createTable('repository_bindings')
    .addColumn('repository', text, (col) => col.notNull())
    .addColumn('path', text, (col) => col.notNull())
    .addColumn('story_id', text, (col) => col.notNull())
    // The blob last imported from this path, and the commit it came from.
    .addColumn('blob_sha', 'text', (col) => col.notNull())
    .addColumn('commit_sha', 'text', (col) => col.notNull())
    .addColumn('bound_at', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('repository_bindings_pk', ['repository', 'path'])
    .execute();
  await db.schema
    .createIndex('repository_bindings_story')
    .on('repository_bindings')
    .columns(['repository', 'story_id'])
    .execute();
  await db.schema
    .createTable('repository_sync_state')
    .addColumn('repository', text, (col) => col.primaryKey())
    .addColumn('last_synced_sha', 'text')
    .addColumn('last_synced_at', 'text')
    .addColumn('pending_pushes', 'integer', (col) => col.notNull())
    .addColumn('failed_attempts', 'integer', (col) => col.notNull())
    .addColumn('next_attempt_at', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('last_error', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('repository_sync_state').execute();
  await db.schema.dropTable('repository_bindings').execute();
}
