import type { Kysely } from 'kysely';

// A comment create in doubt: set on an outbox row before the sender asks a forge to create a
// comment, cleared once the forge's id for it is recorded. A row still marked when it is sent
// again may have a comment on the forge storyflow never heard of (the process died, or the
// answer was lost, after the forge created it): the client looks for it and edits it instead of
// creating a second one (docs/forge-feedback.md, "After a crash").
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('outbox')
    .addColumn('create_in_doubt', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('outbox').dropColumn('create_in_doubt').execute();
}
