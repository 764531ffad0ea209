import type { Kysely } from 'kysely';

// An audit entry names the person behind a webhook's change (the `people:` config) and the
// forge account they used (`github:ada`), so that history reads "Ada Lovelace" whichever forge
// she pushed from, and GET /audit?actor=Ada%20Lovelace finds all she did. Older entries have
// neither; their hashes do not cover these fields (they are left out of the hash when null).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_entries').addColumn('actor_person', 'text').execute();
  await db.schema.alterTable('audit_entries').addColumn('actor_login', 'text').execute();
  await db.schema
    .createIndex('audit_entries_actor_person_idx')
    .on('audit_entries')
    .columns(['actor_person', 'seq'])
    .execute();
  await db.schema
    .createIndex('audit_entries_actor_login_idx')
    .on('audit_entries')
    .columns(['actor_login', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_entries_actor_login_idx').execute();
  await db.schema.dropIndex('audit_entries_actor_person_idx').execute();
  await db.schema.alterTable('audit_entries').dropColumn('actor_login').execute();
  await db.schema.alterTable('audit_entries').dropColumn('actor_person').execute();
}
