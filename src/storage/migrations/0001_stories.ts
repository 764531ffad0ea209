import { type Kysely, sql } from 'kysely';
import { storageDialectOf } from '../database.js';

// Ids sort bytewise on both dialects (SQLite's BINARY collation; "C" on PostgreSQL), so
// ORDER BY id and the `id > afterId` cursor give the same order whatever the database locale.
function idType(db: Kysely<unknown>) {
  return storageDialectOf(db) === 'postgres' ? sql`text collate "C"` : sql`text`;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('stories')
    .addColumn('id', idType(db), (col) => col.primaryKey())
    .addColumn('document', 'text', (col) => col.notNull())
    .addColumn('version', 'integer', (col) => col.notNull())
    .addColumn('title', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('epic', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();

  await db.schema
    .createIndex('stories_status_idx')
    .on('stories')
    .columns(['status', 'id'])
    .execute();
  await db.schema.createIndex('stories_epic_idx').on('stories').columns(['epic', 'id']).execute();

  await db.schema
    .createTable('story_labels')
    .addColumn('story_id', idType(db), (col) =>
      col.notNull().references('stories.id').onDelete('cascade'),
    )
    .addColumn('label', 'text', (col) => col.notNull())
    .addColumn('position', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('story_labels_pk', ['story_id', 'label'])
    .execute();

  await db.schema
    .createIndex('story_labels_label_idx')
    .on('story_labels')
    .columns(['label', 'story_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('story_labels').execute();
  await db.schema.dropTable('stories').execute();
}
