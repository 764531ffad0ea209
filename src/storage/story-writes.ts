// Many story writes in one statement: `WITH v(...) AS (<rows>) UPDATE stories ... FROM v`, where
// the rows are a VALUES list on SQLite (3.33+) and unnest over one array per column on
// PostgreSQL. Each row carries the story id, the version it must be at, and the values of the
// columns that change.
import type { StorageDialect } from './database.js';
import type { StoryRecord, StoryWrite } from './store.js';

/** The stories columns a write can change, in the order they are written. */
export const STORY_WRITE_COLUMNS = [
  'document',
  'version',
  'title',
  'status',
  'epic',
  'branch_name',
  'created_at',
  'updated_at',
] as const;

export type StoryWriteColumn = (typeof STORY_WRITE_COLUMNS)[number];

/**
 * Rows per statement: on SQLite 2 + at most 8 parameters a row keeps a full chunk at 5,000
 * parameters, well under its limit of 32,766 (PostgreSQL binds 2 + 8 arrays whatever the rows).
 */
export const STORY_WRITE_CHUNK = 500;

function columnValue(record: StoryRecord, column: StoryWriteColumn): string | number | null {
  switch (column) {
    case 'document':
      return record.document;
    case 'version':
      return record.version;
    case 'title':
      return record.title;
    case 'status':
      return record.status;
    case 'epic':
      return record.epic;
    case 'branch_name':
      return record.branchName ?? null;
    case 'created_at':
      return record.createdAt;
    case 'updated_at':
      return record.updatedAt;
  }
}

/**
 * The columns a group of writes must set: those whose value differs from the stored story in
 * at least one write (every column for a write that does not know its stored story). `version`
 * is always written.
 */
export function columnsToWrite(writes: readonly StoryWrite[]): StoryWriteColumn[] {
  const changed = new Set<StoryWriteColumn>(['version']);
  for (const { record, stored } of writes) {
    for (const column of STORY_WRITE_COLUMNS) {
      if (changed.has(column)) continue;
      if (stored === undefined || columnValue(record, column) !== columnValue(stored, column)) {
        changed.add(column);
      }
    }
    if (changed.size === STORY_WRITE_COLUMNS.length) break;
  }
  return STORY_WRITE_COLUMNS.filter((column) => changed.has(column));
}

/** A statement and its parameters, for CompiledQuery.raw. */
export interface RawStatement {
  sql: string;
  parameters: unknown[];
}

/**
 * The statement writing `writes` (`columns` of each) where each story is at its expected
 * version, answering the ids it wrote (a story not at its expected version is left as it is).
 * SQLite binds every value (2 + columns per row); PostgreSQL binds one array per column and
 * reads the rows with unnest, which it parses and plans faster than a long VALUES list.
 */
export function storyWriteStatement(
  dialect: StorageDialect,
  writes: readonly StoryWrite[],
  columns: readonly StoryWriteColumn[],
): RawStatement {
  if (dialect === 'postgres') {
    const ids: string[] = [];
    const expected: number[] = [];
    const values = columns.map((): (string | number | null)[] => []);
    for (const { record, expectedVersion } of writes) {
      ids.push(record.id);
      expected.push(expectedVersion);
      for (const [index, column] of columns.entries()) {
        values[index]?.push(columnValue(record, column));
      }
    }
    return {
      sql: storyWriteSql(dialect, columns, writes.length),
      parameters: [ids, expected, ...values],
    };
  }
  const parameters: (string | number | null)[] = [];
  for (const { record, expectedVersion } of writes) {
    parameters.push(record.id, expectedVersion);
    for (const column of columns) parameters.push(columnValue(record, column));
  }
  return { sql: storyWriteSql(dialect, columns, writes.length), parameters };
}

const sqlCache = new Map<string, string>();

/** The SQL of storyWriteStatement (PostgreSQL's does not depend on the number of rows). */
export function storyWriteSql(
  dialect: StorageDialect,
  columns: readonly StoryWriteColumn[],
  rows: number,
): string {
  const key =
    dialect === 'postgres'
      ? `postgres:${columns.join(',')}`
      : `sqlite:${rows}:${columns.join(',')}`;
  const cached = sqlCache.get(key);
  if (cached !== undefined) return cached;

  let source: string;
  if (dialect === 'postgres') {
    const type = (column: StoryWriteColumn) => (column === 'version' ? 'integer' : 'text');
    const arrays = [
      '$1::text[]',
      '$2::integer[]',
      ...columns.map((column, index) => `$${index + 3}::${type(column)}[]`),
    ];
    source = `select * from unnest(${arrays.join(', ')})`;
  } else {
    const row = `(?, ?${', ?'.repeat(columns.length)})`;
    source = `values ${Array.from({ length: rows }, () => row).join(', ')}`;
  }
  const text =
    `with v (write_id, write_expected, ${columns.join(', ')}) as (${source}) ` +
    `update stories set ${columns.map((column) => `${column} = v.${column}`).join(', ')} ` +
    // `+`: no index on v.write_expected, so SQLite's planner reads v in order and finds each
    // story by its primary key (without it, it scans stories: 10× slower for 1,000 rows).
    'from v where stories.id = v.write_id and stories.version = +v.write_expected ' +
    'returning stories.id';
  if (sqlCache.size >= 64) sqlCache.clear();
  sqlCache.set(key, text);
  return text;
}
