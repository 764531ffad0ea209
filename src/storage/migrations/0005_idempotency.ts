// Idempotency-Key records: one per (principal, key), holding the first response for replays.
import { type Kysely, sql } from 'kysely';
import { storageDialectOf } from '../database.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Timestamps compare bytewise on both dialects.
  const time = storageDialectOf(db) === 'postgres' ? sql`text collate "C"` : sql`text`;
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('principal_id', 'text', (col) => col.notNull())
    .addColumn('idempotency_key', 'text', (col) => col.notNull())
    .addColumn('request_hash', 'text', (col) => col.notNull())
    // 'in_flight' while the first request runs, then 'completed' with its response.
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('claim_id', 'text', (col) => col.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_headers', 'text')
    .addColumn('response_body', 'text')
    .addColumn('created_at', time, (col) => col.notNull())
    .addColumn('expires_at', time, (col) => col.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['principal_id', 'idempotency_key'])
    .execute();
  await db.schema
    .createIndex('idempotency_keys_expires_idx')
    .on('idempotency_keys')
    .column('expires_at')
    .execute();
  // Batch writes are audited with one batch id; GET /audit?batch= finds them.
  await db.schema
    .createIndex('audit_entries_batch_idx')
    .on('audit_entries')
    .column('batch_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_entries_batch_idx').execute();
  await db.schema.dropTable('idempotency_keys').execute();
}
