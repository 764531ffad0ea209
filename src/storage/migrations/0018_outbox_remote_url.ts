import type { Kysely } from 'kysely';

// The web address of what a forge call created, beside its id: the pull request storyflow opens
// from its updates branch (docs/git-sync.md) is shown by its address in a repository's status.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('remote_url', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('outbox').dropColumn('remote_url').execute();
}
