// The Kysely schema: every query in src/storage derives its types from these tables.
import { type Kysely, PostgresAdapter, SqliteAdapter } from 'kysely';

/** One story: its exact document plus the fields we filter on. Timestamps are ISO-8601 text. */
export interface StoriesTable {
  id: string;
  document: string;
  version: number;
  title: string;
  status: string;
  epic: string | null;
  created_at: string;
  updated_at: string;
}

/** A story's labels, one row each; `position` keeps the order the story lists them in. */
export interface StoryLabelsTable {
  story_id: string;
  label: string;
  position: number;
}

export interface Database {
  stories: StoriesTable;
  story_labels: StoryLabelsTable;
}

export type StorageDialect = 'sqlite' | 'postgres';

/** Which of the two supported dialects a Kysely instance talks to. */
export function storageDialectOf<DB>(db: Kysely<DB>): StorageDialect {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof SqliteAdapter) return 'sqlite';
  throw new Error(`Unsupported Kysely dialect adapter: ${adapter.constructor.name}`);
}
