// updateStories: many versioned story writes in a few multi-row UPDATE statements.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store, StoryRecord, StoryWrite } from '../../src/storage/store.js';
import {
  columnsToWrite,
  STORY_WRITE_CHUNK,
  storyWriteStatement,
} from '../../src/storage/story-writes.js';
import { describeEachStore } from '../support/store-factories.js';

function story(id: string, overrides: Partial<StoryRecord> = {}): StoryRecord {
  return {
    id,
    document: `---\nid: ${id}\ntitle: Story ${id}\nstatus: draft\n---\n\n# ${id}\n`,
    version: 1,
    title: `Story ${id}`,
    status: 'draft',
    epic: null,
    branchName: null,
    labels: ['one', 'two'],
    createdAt: '2025-08-12T10:00:00.000Z',
    updatedAt: '2025-08-12T10:00:00.000Z',
    ...overrides,
  };
}

/** A transition's write: document, version, status and updated_at change. */
function moved(stored: StoryRecord, status: string): StoryRecord {
  return {
    ...stored,
    document: stored.document.replace(/status: \w+/, `status: ${status}`),
    version: stored.version + 1,
    status,
    labels: [...stored.labels],
    updatedAt: '2025-09-01T08:00:00.000Z',
  };
}

describe('story write statements', () => {
  const stored = story('COL-1');

  it('set only the columns that differ from the stored story, and always the version', () => {
    expect(
      columnsToWrite([{ record: moved(stored, 'ready'), expectedVersion: 1, stored }]),
    ).toEqual(['document', 'version', 'status', 'updated_at']);
    const renamed = { ...stored, version: 2, title: 'New', epic: 'api', branchName: 'feat/x' };
    expect(columnsToWrite([{ record: renamed, expectedVersion: 1, stored }])).toEqual([
      'version',
      'title',
      'epic',
      'branch_name',
    ]);
    // Every column another write of the statement changes; every column without a stored story.
    expect(
      columnsToWrite([
        { record: moved(stored, 'ready'), expectedVersion: 1, stored },
        { record: renamed, expectedVersion: 1, stored },
      ]),
    ).toEqual(['document', 'version', 'title', 'status', 'epic', 'branch_name', 'updated_at']);
    expect(columnsToWrite([{ record: renamed, expectedVersion: 1 }])).toEqual([
      'document',
      'version',
      'title',
      'status',
      'epic',
      'branch_name',
      'created_at',
      'updated_at',
    ]);
  });

  it('bind id, expected version and values row by row (SQLite) or column by column (PostgreSQL)', () => {
    const writes: StoryWrite[] = [
      { record: moved(stored, 'ready'), expectedVersion: 1, stored },
      { record: moved(story('COL-2', { version: 4 }), 'done'), expectedVersion: 4 },
    ];
    const columns = ['version', 'status'] as const;
    const sqlite = storyWriteStatement('sqlite', writes, columns);
    expect(sqlite.parameters).toEqual(['COL-1', 1, 2, 'ready', 'COL-2', 4, 5, 'done']);
    expect(sqlite.sql).toContain('values (?, ?, ?, ?), (?, ?, ?, ?))');
    expect(sqlite.sql).toContain('set version = v.version, status = v.status');
    const postgres = storyWriteStatement('postgres', writes, columns);
    expect(postgres.parameters).toEqual([
      ['COL-1', 'COL-2'],
      [1, 4],
      [2, 5],
      ['ready', 'done'],
    ]);
    expect(postgres.sql).toContain(
      'select * from unnest($1::text[], $2::integer[], $3::integer[], $4::text[])',
    );
  });
});

describeEachStore('updateStories', (open) => {
  let store: Store;

  beforeEach(async () => {
    store = await open();
  });

  afterEach(async () => {
    await store.close();
  });

  it('writes each story at its expected version across statement boundaries', async () => {
    // Three statements (500, 500, 203 rows); stale writes at the first and last row of each.
    const count = 2 * STORY_WRITE_CHUNK + 203;
    const ids = Array.from({ length: count }, (_, i) => `W-${String(i).padStart(4, '0')}`);
    const untouched = story('UNTOUCHED-1');
    await store.transaction(async (tx) => {
      for (const id of ids) await tx.stories.insertStory(story(id));
      await tx.stories.insertStory(untouched);
    });
    const stale = new Set([0, 499, 500, 999, 1000, count - 1].map((i) => ids[i] as string));
    const writes: StoryWrite[] = ids.map((id, i) => {
      const before = story(id);
      let record = moved(before, i % 2 === 0 ? 'ready' : 'in_progress');
      if (i % 7 === 0) record = { ...record, title: `Renamed ${id}`, epic: 'epic-a' };
      if (i % 11 === 0) record = { ...record, labels: ['two', 'three'] };
      if (i % 13 === 0) record = { ...record, branchName: `feat/${id.toLowerCase()}` };
      // Every fifth write does not say what was stored: all its columns and labels are written.
      const known = i % 5 === 0 ? {} : { stored: before };
      return { record, expectedVersion: stale.has(id) ? 7 : 1, ...known };
    });

    const missed = await store.transaction((tx) => tx.stories.updateStories(writes));

    expect(new Set(missed)).toEqual(stale);
    const after = await store.stories.getStories([...ids, untouched.id]);
    expect(after).toHaveLength(count + 1);
    const byId = new Map(after.map((record) => [record.id, record]));
    for (const { record } of writes) {
      expect(byId.get(record.id)).toEqual(stale.has(record.id) ? story(record.id) : record);
    }
    expect(byId.get(untouched.id)).toEqual(untouched);
    expect(await store.stories.listStories({ label: 'three', limit: 2000 })).toHaveLength(
      writes.filter(({ record }) => record.labels.includes('three') && !stale.has(record.id))
        .length,
    );
  });

  it('writes one story, none, and refuses a story named twice', async () => {
    await store.stories.insertStory(story('ONE-1'));
    expect(await store.stories.updateStories([])).toEqual([]);
    const next = moved(story('ONE-1'), 'ready');
    expect(
      await store.stories.updateStories([
        { record: next, expectedVersion: 1, stored: story('ONE-1') },
      ]),
    ).toEqual([]);
    expect(await store.stories.getStory('ONE-1')).toEqual(next);
    // A story that does not exist is answered as not written.
    expect(
      await store.stories.updateStories([
        { record: story('NONE-1', { version: 2 }), expectedVersion: 1 },
      ]),
    ).toEqual(['NONE-1']);
    await expect(
      store.stories.updateStories([
        { record: moved(next, 'done'), expectedVersion: 2 },
        { record: moved(next, 'draft'), expectedVersion: 2 },
      ]),
    ).rejects.toThrow(/ONE-1 is written twice/);
    expect(await store.stories.getStory('ONE-1')).toEqual(next);
  });
});
