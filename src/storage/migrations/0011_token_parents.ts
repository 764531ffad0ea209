import type { Kysely } from 'kysely';

// A token created by another stored token remembers it: revoking the parent revokes it too, and
// the listing shows where a token came from. Tokens created by STORYFLOW_ADMIN_TOKEN, an OIDC
// credential or the CLI on the server's machine have none. Older tokens have none either.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_tokens').addColumn('parent_token_id', 'text').execute();
  await db.schema
    .createIndex('api_tokens_parent_token_id')
    .on('api_tokens')
    .column('parent_token_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('api_tokens_parent_token_id').execute();
  await db.schema.alterTable('api_tokens').dropColumn('parent_token_id').execute();
}
