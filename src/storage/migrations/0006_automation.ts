import { type Kysely, sql } from 'kysely';
import { parseStoryDocument } from '../../domain/story/story-document.js';
import { storageDialectOf } from '../database.js';

// Links, operations and API-managed rules of the automation engine, and the branch_name of
// each story as a column (stories are found by their branch on every push).
export async function up(db: Kysely<unknown>): Promise<void> {
  const id = storageDialectOf(db) === 'postgres' ? sql`text collate "C"` : sql`text`;

  await db.schema.alterTable('stories').addColumn('branch_name', 'text').execute();
  await db.schema
    .createIndex('stories_branch_name_idx')
    .on('stories')
    .column('branch_name')
    .execute();
  const stories = await sql<{
    id: string;
    document: string;
  }>`select id, document from stories`.execute(db);
  for (const story of stories.rows) {
    const branch = parseStoryDocument(story.document).fields.branch_name;
    if (typeof branch === 'string') {
      await sql`update stories set branch_name = ${branch} where id = ${story.id}`.execute(db);
    }
  }

  await db.schema
    .createTable('story_links')
    .addColumn('story_id', id, (col) => col.notNull())
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('repository', 'text', (col) => col.notNull())
    .addColumn('key', 'text', (col) => col.notNull())
    .addColumn('state', 'text')
    .addColumn('url', 'text')
    .addColumn('title', 'text')
    .addColumn('sha', 'text')
    .addColumn('environment', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('story_links_pk', ['story_id', 'type', 'repository', 'key'])
    .execute();
  await db.schema
    .createIndex('story_links_lookup_idx')
    .on('story_links')
    .columns(['type', 'repository', 'key'])
    .execute();
  await db.schema.createIndex('story_links_sha_idx').on('story_links').column('sha').execute();

  await db.schema
    .createTable('operations')
    .addColumn('id', id, (col) => col.primaryKey())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('trigger_kind', 'text', (col) => col.notNull())
    .addColumn('delivery_id', 'text')
    .addColumn('event_index', 'integer')
    .addColumn('rolls_back', 'text')
    .addColumn('repository', 'text')
    .addColumn('environment', 'text')
    .addColumn('changes', 'text', (col) => col.notNull())
    .addColumn('steps', 'text', (col) => col.notNull())
    .addColumn('comments', 'text', (col) => col.notNull())
    .addColumn('created_at', id, (col) => col.notNull())
    .addColumn('rolled_back_at', 'text')
    .addColumn('rolled_back_by', 'text')
    // One operation per event of a delivery: a redelivered or replayed delivery finds it.
    .addUniqueConstraint('operations_delivery_event', ['delivery_id', 'event_index'])
    .execute();
  await db.schema
    .createIndex('operations_created_idx')
    .on('operations')
    .columns(['created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('operations_deployment_idx')
    .on('operations')
    .columns(['trigger_kind', 'repository', 'environment', 'status'])
    .execute();

  await db.schema
    .createTable('operation_stories')
    .addColumn('operation_id', id, (col) => col.notNull())
    .addColumn('story_id', id, (col) => col.notNull())
    .addPrimaryKeyConstraint('operation_stories_pk', ['story_id', 'operation_id'])
    .execute();
  await db.schema
    .createTable('operation_commits')
    .addColumn('operation_id', id, (col) => col.notNull())
    .addColumn('sha', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('operation_commits_pk', ['sha', 'operation_id'])
    .execute();

  await db.schema
    .createTable('automation_rules')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('rules', 'text', (col) => col.notNull())
    .addColumn('version', 'integer', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'automation_rules',
    'operation_commits',
    'operation_stories',
    'operations',
    'story_links',
  ]) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.dropIndex('stories_branch_name_idx').execute();
  await db.schema.alterTable('stories').dropColumn('branch_name').execute();
}
