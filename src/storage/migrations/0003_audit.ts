// The append-only audit log and the single row that holds the end of its hash chain.
import { type Kysely, sql } from 'kysely';
import { storageDialectOf } from '../database.js';

// Timestamps compare bytewise on both dialects (`since` filters by text comparison).
function timestampType(db: Kysely<unknown>) {
  return storageDialectOf(db) === 'postgres' ? sql`text collate "C"` : sql`text`;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_entries')
    // Assigned by the repository from audit_chain_head, never by the database.
    .addColumn('seq', 'integer', (col) => col.primaryKey())
    .addColumn('occurred_at', timestampType(db), (col) => col.notNull())
    .addColumn('actor_type', 'text', (col) => col.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('actor_name', 'text')
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('target_type', 'text', (col) => col.notNull())
    .addColumn('target_id', 'text')
    .addColumn('before_json', 'text')
    .addColumn('after_json', 'text')
    .addColumn('request_id', 'text')
    .addColumn('operation_id', 'text')
    .addColumn('delivery_id', 'text')
    .addColumn('batch_id', 'text')
    .addColumn('reason', 'text')
    .addColumn('prev_hash', 'text', (col) => col.notNull())
    .addColumn('hash', 'text', (col) => col.notNull())
    .execute();

  const indexes: [string, string[]][] = [
    ['audit_entries_target_idx', ['target_type', 'target_id', 'seq']],
    ['audit_entries_actor_idx', ['actor_id', 'seq']],
    ['audit_entries_actor_name_idx', ['actor_name', 'seq']],
    ['audit_entries_action_idx', ['action', 'seq']],
    ['audit_entries_occurred_at_idx', ['occurred_at']],
    ['audit_entries_operation_idx', ['operation_id']],
    ['audit_entries_delivery_idx', ['delivery_id']],
  ];
  for (const [name, columns] of indexes) {
    await db.schema.createIndex(name).on('audit_entries').columns(columns).execute();
  }

  await db.schema
    .createTable('audit_chain_head')
    .addColumn('id', 'integer', (col) => col.primaryKey().check(sql`id = 1`))
    .addColumn('seq', 'integer', (col) => col.notNull())
    .addColumn('hash', 'text', (col) => col.notNull())
    .execute();

  // The empty chain: seq 0 and GENESIS_HASH (64 zeros), written out so this migration stays fixed.
  await sql`insert into audit_chain_head (id, seq, hash) values (1, 0, ${'0'.repeat(64)})`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_chain_head').execute();
  await db.schema.dropTable('audit_entries').execute();
}
