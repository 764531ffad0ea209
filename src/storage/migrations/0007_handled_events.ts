import type { Kysely } from 'kysely';

// Events of a delivery that the automation handled without changing anything: a replay of
// the delivery skips them, as it skips those that recorded an operation.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('handled_events')
    .addColumn('delivery_id', 'text', (col) => col.notNull())
    .addColumn('event_index', 'integer', (col) => col.notNull())
    .addColumn('handled_at', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('handled_events_pk', ['delivery_id', 'event_index'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('handled_events').execute();
}
