import { type Kysely, sql } from 'kysely';
import { storageDialectOf } from '../database.js';

// The outbox: every call storyflow decides to make to a forge (a comment, a commit status) is a
// row, written in the transaction that decided it and sent later by the outbox sender. One row
// per (forge, kind, target): a newer decision about the same target updates the row in place,
// so nothing is ever sent twice for one target, and `remote_id` remembers what the forge
// created (a comment's id) so the next send edits it.
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = storageDialectOf(db) === 'postgres';
  const text = postgres ? sql`text collate "C"` : sql`text`;
  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('forge', text, (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('target', text, (col) => col.notNull())
    .addColumn('payload', 'text', (col) => col.notNull())
    // Bumped by every enqueue: a send that read an older version does not mark the row sent.
    .addColumn('version', 'integer', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull())
    .addColumn('next_attempt_at', 'text', (col) => col.notNull())
    .addColumn('lease_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('remote_id', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addColumn('sent_at', 'text')
    .addUniqueConstraint('outbox_target_unique', ['forge', 'kind', 'target'])
    .execute();
  await db.schema
    .createIndex('outbox_due')
    .on('outbox')
    .columns(['status', 'next_attempt_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('outbox').execute();
}
