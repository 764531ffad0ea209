import { type Kysely, sql } from 'kysely';
import { storageDialectOf } from '../database.js';

// The newest fact applied about each deployment, pipeline and pull/merge request (its provider
// time and sequence, and where it came from), so a delivery that arrives late with an older fact
// about the same object is skipped instead of undoing the newer one.
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = storageDialectOf(db) === 'postgres';
  const text = postgres ? sql`text collate "C"` : sql`text`;
  await db.schema
    .createTable('latest_facts')
    .addColumn('repository', text, (col) => col.notNull())
    .addColumn('subject_type', 'text', (col) => col.notNull())
    .addColumn('subject_key', text, (col) => col.notNull())
    // Null until a fact is applied: the row exists first so PostgreSQL can lock it.
    .addColumn('occurred_at', 'text')
    .addColumn('sequence', postgres ? 'bigint' : 'integer')
    .addColumn('kind', 'text')
    .addColumn('delivery_id', 'text')
    .addColumn('event_index', 'integer')
    .addColumn('applied_at', 'text')
    .addPrimaryKeyConstraint('latest_facts_pk', ['repository', 'subject_type', 'subject_key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('latest_facts').execute();
}
