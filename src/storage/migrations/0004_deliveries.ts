import { type Kysely, sql } from 'kysely';
import { storageDialectOf } from '../database.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const text = storageDialectOf(db) === 'postgres' ? sql`text collate "C"` : sql`text`;
  await db.schema
    .createTable('deliveries')
    .addColumn('id', text, (col) => col.primaryKey())
    .addColumn('provider', 'text', (col) => col.notNull())
    // The provider's own id (X-GitHub-Delivery, GitLab's Idempotency-Key / event UUID).
    .addColumn('delivery_id', 'text', (col) => col.notNull())
    .addColumn('event', 'text', (col) => col.notNull())
    .addColumn('headers', 'text', (col) => col.notNull())
    .addColumn('body', 'text', (col) => col.notNull())
    .addColumn('received_at', text, (col) => col.notNull())
    .addColumn('source_address', 'text')
    .addColumn('repository', 'text')
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('next_attempt_at', text, (col) => col.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', text)
    .addColumn('last_error', 'text')
    .addColumn('events', 'text')
    .addColumn('processed_at', text)
    .addUniqueConstraint('deliveries_provider_delivery_id', ['provider', 'delivery_id'])
    .execute();
  // Workers claim by (status, next_attempt_at); lists filter by status and time.
  await db.schema
    .createIndex('deliveries_claim_idx')
    .on('deliveries')
    .columns(['status', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('deliveries_received_idx')
    .on('deliveries')
    .columns(['received_at', 'id'])
    .execute();
  await db.schema
    .createIndex('deliveries_repository_idx')
    .on('deliveries')
    .columns(['repository', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('deliveries').execute();
}
