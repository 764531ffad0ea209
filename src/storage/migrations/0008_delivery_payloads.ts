import { type Kysely, sql } from 'kysely';

// Payloads move to a write-once table: claiming and finishing a delivery rewrote its whole row,
// body included (often several KB), on every status change.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('delivery_payloads')
    .addColumn('delivery_id', 'text', (col) => col.primaryKey())
    .addColumn('body', 'text', (col) => col.notNull())
    .execute();
  await sql`insert into delivery_payloads (delivery_id, body) select id, body from deliveries`.execute(
    db,
  );
  await db.schema.alterTable('deliveries').dropColumn('body').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('deliveries')
    .addColumn('body', 'text', (col) => col.notNull().defaultTo(''))
    .execute();
  await sql`update deliveries set body = (select body from delivery_payloads where delivery_payloads.delivery_id = deliveries.id)`.execute(
    db,
  );
  await db.schema.dropTable('delivery_payloads').execute();
}
