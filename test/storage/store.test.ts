import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KyselyStore } from '../../src/storage/kysely-store.js';
import { migrateToLatest } from '../../src/storage/migrations/index.js';
import { openStore, parseStoreUrl } from '../../src/storage/open-store.js';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';
import type { Store, StoryRecord } from '../../src/storage/store.js';
import {
  describeEachStore,
  dropPostgresSchema,
  openPostgresStoreInSchema,
  POSTGRES_URL_VARIABLE,
  postgresTestUrl,
  uniqueSchemaName,
} from '../support/store-factories.js';

function story(id: string, overrides: Partial<StoryRecord> = {}): StoryRecord {
  return {
    id,
    document: `---\nid: ${id}\ntitle: Story ${id}\n---\n\n# ${id}\n`,
    version: 1,
    title: `Story ${id}`,
    status: 'backlog',
    epic: null,
    branchName: null,
    labels: [],
    createdAt: '2025-08-12T10:00:00.000Z',
    updatedAt: '2025-08-12T10:00:00.000Z',
    ...overrides,
  };
}

async function listAll(
  store: Store,
  query: Omit<Parameters<Store['stories']['listStories']>[0], 'limit'>,
) {
  return (await store.stories.listStories({ ...query, limit: 1000 })).map((s) => s.id);
}

describeEachStore('story store', (open) => {
  let store: Store;

  beforeEach(async () => {
    store = await open();
  });

  afterEach(async () => {
    await store.close();
  });

  it('answers ping and starts empty', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    expect(await store.stories.countStories()).toBe(0);
    expect(await store.stories.getStory('NOPE-1')).toBeUndefined();
  });

  it('round-trips documents byte for byte', async () => {
    const documents = [
      '---\nid: DOC-0\ntitle: Ünïcødé — 日本語 🚀\n---\n\nNo trailing newline',
      '---\r\nid: DOC-1\r\n---\r\n\r\nCRLF line endings\r\n',
      'mixed\r\nline\nendings\rand a lone CR',
      '\uFEFF  byte order mark, leading and trailing spaces  \n\n\n',
      "emoji with joiners 👩🏽‍💻 and combining e\u0301 vs é, tab\there, quote ' and backslash \\",
      '',
    ];
    for (const [index, document] of documents.entries()) {
      const record = story(`DOC-${index}`, {
        document,
        title: `Tïtle ${index} ✓`,
        epic: index % 2 === 0 ? 'épic' : null,
        labels: ['zeta', 'alpha', 'mid'],
      });
      expect(await store.stories.insertStory(record)).toBe(true);
      const stored = await store.stories.getStory(record.id);
      expect(stored).toEqual(record);
      expect(Buffer.from(stored!.document, 'utf8').equals(Buffer.from(document, 'utf8'))).toBe(
        true,
      );
    }
    expect(await store.stories.countStories()).toBe(documents.length);
  });

  it('keeps labels in stored order and stores a repeated label once', async () => {
    await store.stories.insertStory(story('LBL-1', { labels: ['ui', 'api', 'ui', 'core'] }));
    expect((await store.stories.getStory('LBL-1'))?.labels).toEqual(['ui', 'api', 'core']);
  });

  it('refuses a duplicate insert and keeps the original', async () => {
    const original = story('DUP-1', { title: 'Original', labels: ['a'] });
    expect(await store.stories.insertStory(original)).toBe(true);
    expect(
      await store.stories.insertStory(story('DUP-1', { title: 'Impostor', labels: ['b'] })),
    ).toBe(false);
    expect(await store.stories.getStory('DUP-1')).toEqual(original);
    expect(await store.stories.countStories()).toBe(1);
  });

  it('updates at the expected version and refuses a stale one', async () => {
    await store.stories.insertStory(story('UPD-1', { labels: ['old', 'keep'] }));
    const v2 = story('UPD-1', {
      version: 2,
      title: 'Renamed',
      status: 'in_progress',
      epic: 'api',
      labels: ['keep', 'new'],
      document: 'updated body',
      updatedAt: '2025-08-13T09:30:00.000Z',
    });
    expect(await store.stories.updateStory(v2, 1)).toBe(true);
    expect(await store.stories.getStory('UPD-1')).toEqual(v2);

    const stale = story('UPD-1', { version: 2, title: 'Stale write', labels: ['stale'] });
    expect(await store.stories.updateStory(stale, 1)).toBe(false);
    expect(await store.stories.getStory('UPD-1')).toEqual(v2);

    expect(await store.stories.updateStory(story('GONE-1', { version: 2 }), 1)).toBe(false);
    expect(await store.stories.getStory('GONE-1')).toBeUndefined();
  });

  it('deletes with and without an expected version', async () => {
    await store.stories.insertStory(story('DEL-1', { labels: ['x'] }));
    await store.stories.insertStory(story('DEL-2', { version: 3, labels: ['x'] }));

    expect(await store.stories.deleteStory('DEL-1')).toBe(true);
    expect(await store.stories.getStory('DEL-1')).toBeUndefined();
    expect(await store.stories.deleteStory('DEL-1')).toBe(false);

    expect(await store.stories.deleteStory('DEL-2', 2)).toBe(false);
    expect(await store.stories.getStory('DEL-2')).toBeDefined();
    expect(await store.stories.deleteStory('DEL-2', 3)).toBe(true);
    expect(await store.stories.countStories()).toBe(0);

    // The label rows went with the story: a new story with the same id starts clean.
    expect(await listAll(store, { label: 'x' })).toEqual([]);
    await store.stories.insertStory(story('DEL-1', { labels: ['y'] }));
    expect((await store.stories.getStory('DEL-1'))?.labels).toEqual(['y']);
  });

  describe('listing', () => {
    beforeEach(async () => {
      await store.transaction(async (tx) => {
        await tx.stories.insertStory(
          story('API-001', {
            title: 'Export 100% of the data',
            status: 'done',
            epic: 'api',
            labels: ['api', 'core'],
          }),
        );
        await tx.stories.insertStory(
          story('API-002', {
            title: 'Export 1000 rows',
            status: 'in_progress',
            epic: 'api',
            labels: ['api'],
          }),
        );
        await tx.stories.insertStory(
          story('UI-001', {
            title: 'Rename snake_case fields',
            status: 'done',
            epic: 'ui',
            labels: ['ui', 'core'],
          }),
        );
        await tx.stories.insertStory(
          story('UI-002', { title: 'snakeXcase is not a thing', status: 'backlog', epic: 'ui' }),
        );
        await tx.stories.insertStory(
          story('SEC-001', {
            title: 'École des données',
            document: 'Paths like C:\\Temp\\file must be escaped\nMentions the WIDGET service',
            status: 'backlog',
            labels: ['security'],
          }),
        );
      });
    });

    it('orders by id and honours the limit', async () => {
      expect(await listAll(store, {})).toEqual([
        'API-001',
        'API-002',
        'SEC-001',
        'UI-001',
        'UI-002',
      ]);
      const firstTwo = await store.stories.listStories({ limit: 2 });
      expect(firstTwo.map((s) => s.id)).toEqual(['API-001', 'API-002']);
      expect(firstTwo[0]?.labels).toEqual(['api', 'core']);
      expect(await store.stories.listStories({ limit: 0 })).toEqual([]);
    });

    it('filters by status, epic and label, combined with AND', async () => {
      expect(await listAll(store, { status: 'done' })).toEqual(['API-001', 'UI-001']);
      expect(await listAll(store, { epic: 'ui' })).toEqual(['UI-001', 'UI-002']);
      expect(await listAll(store, { label: 'core' })).toEqual(['API-001', 'UI-001']);
      expect(await listAll(store, { label: 'core', epic: 'api' })).toEqual(['API-001']);
      expect(await listAll(store, { status: 'done', label: 'api', epic: 'api' })).toEqual([
        'API-001',
      ]);
      expect(await listAll(store, { status: 'done', epic: 'nope' })).toEqual([]);
      expect(await listAll(store, { label: 'Core' })).toEqual([]);
    });

    it('returns all labels of a story matched through one label', async () => {
      const [matched] = await store.stories.listStories({ label: 'core', epic: 'ui', limit: 10 });
      expect(matched?.labels).toEqual(['ui', 'core']);
    });

    it('searches id, title and document case-insensitively', async () => {
      expect(await listAll(store, { q: 'EXPORT' })).toEqual(['API-001', 'API-002']);
      expect(await listAll(store, { q: 'ui-00' })).toEqual(['UI-001', 'UI-002']);
      expect(await listAll(store, { q: 'widget' })).toEqual(['SEC-001']);
      expect(await listAll(store, { q: 'éCOLE' })).toEqual(['SEC-001']);
      expect(await listAll(store, { q: 'no such text' })).toEqual([]);
      expect(await listAll(store, { q: 'export', status: 'done' })).toEqual(['API-001']);
    });

    it('treats %, _ and \\ in the search text literally', async () => {
      expect(await listAll(store, { q: '100%' })).toEqual(['API-001']);
      expect(await listAll(store, { q: '%' })).toEqual(['API-001']);
      expect(await listAll(store, { q: 'e_c' })).toEqual(['UI-001']);
      expect(await listAll(store, { q: '_' })).toEqual(['UI-001']);
      expect(await listAll(store, { q: 'c:\\temp\\' })).toEqual(['SEC-001']);
      expect(await listAll(store, { q: '\\%' })).toEqual([]);
    });
  });

  it('paginates 120 stories with an id cursor, visiting each exactly once', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => {
      const prefix = ['API', 'UI', 'sec', 'Ops'][i % 4];
      return `${prefix}-${String(i).padStart(3, '0')}`;
    });
    // Insert in a scrambled (but deterministic) order so the listing order comes from the query.
    const scrambled = (id: string) => [...id].reverse().join('');
    const shuffled = [...ids].sort((a, b) => (scrambled(a) < scrambled(b) ? -1 : 1));
    await store.transaction(async (tx) => {
      for (const [i, id] of shuffled.entries()) {
        expect(
          await tx.stories.insertStory(story(id, { status: i % 3 === 0 ? 'done' : 'backlog' })),
        ).toBe(true);
      }
    });
    expect(await store.stories.countStories()).toBe(120);

    const pageThrough = async (status?: string) => {
      const seen: string[] = [];
      let afterId: string | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const page = await store.stories.listStories({
          limit: 7,
          ...(afterId !== undefined ? { afterId } : {}),
          ...(status !== undefined ? { status } : {}),
        });
        seen.push(...page.map((s) => s.id));
        if (page.length < 7) return seen;
        afterId = page.at(-1)?.id;
      }
      throw new Error('pagination did not terminate');
    };

    // Bytewise order on both dialects: uppercase sorts before lowercase.
    expect(await pageThrough()).toEqual([...ids].sort());
    const done = await pageThrough('done');
    expect(done).toEqual(
      shuffled.filter((_, i) => i % 3 === 0).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  });

  it('commits a transaction as a whole', async () => {
    await store.stories.insertStory(story('TX-1'));
    const result = await store.transaction(async (tx) => {
      await tx.stories.insertStory(story('TX-2', { labels: ['t'] }));
      await tx.stories.updateStory(story('TX-1', { version: 2, title: 'In tx' }), 1);
      expect(await tx.stories.countStories()).toBe(2);
      return 'done';
    });
    expect(result).toBe('done');
    expect((await store.stories.getStory('TX-1'))?.title).toBe('In tx');
    expect((await store.stories.getStory('TX-2'))?.labels).toEqual(['t']);
  });

  it('leaves nothing behind when a transaction throws', async () => {
    const keep = story('KEEP-1', { labels: ['keep'] });
    const doomed = story('DOOM-1');
    await store.stories.insertStory(keep);
    await store.stories.insertStory(doomed);

    await expect(
      store.transaction(async (tx) => {
        expect(await tx.stories.insertStory(story('NEW-1', { labels: ['new'] }))).toBe(true);
        expect(
          await tx.stories.updateStory(
            story('KEEP-1', { version: 2, title: 'Changed', labels: [] }),
            1,
          ),
        ).toBe(true);
        expect(await tx.stories.deleteStory('DOOM-1')).toBe(true);
        expect(await tx.stories.getStory('NEW-1')).toBeDefined();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');

    expect(await store.stories.getStory('NEW-1')).toBeUndefined();
    expect(await store.stories.getStory('KEEP-1')).toEqual(keep);
    expect(await store.stories.getStory('DOOM-1')).toEqual(doomed);
    expect(await listAll(store, { label: 'new' })).toEqual([]);
    expect(await store.stories.countStories()).toBe(2);
  });

  it('lets exactly one of many racing writers win a version', async () => {
    await store.stories.insertStory(story('RACE-1'));
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.stories.updateStory(story('RACE-1', { version: 2, title: `Writer ${i}` }), 1),
      ),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const winner = outcomes.indexOf(true);
    expect(await store.stories.getStory('RACE-1')).toMatchObject({
      version: 2,
      title: `Writer ${winner}`,
    });
  });

  it('loses no write when 20 concurrent read-modify-write updaters retry', async () => {
    await store.stories.insertStory(story('RMW-1', { document: 'log:\n', labels: ['start'] }));
    const winnersByVersion = new Map<number, number[]>();
    let conflicts = 0;

    await Promise.all(
      Array.from({ length: 20 }, async (_, updater) => {
        for (let attempt = 0; attempt < 100; attempt++) {
          const current = await store.stories.getStory('RMW-1');
          if (!current) throw new Error('story vanished');
          const next: StoryRecord = {
            ...current,
            version: current.version + 1,
            document: `${current.document}updater ${updater}\n`,
            labels: [...current.labels, `u${updater}`],
          };
          if (await store.stories.updateStory(next, current.version)) {
            winnersByVersion.set(current.version, [
              ...(winnersByVersion.get(current.version) ?? []),
              updater,
            ]);
            return;
          }
          conflicts += 1;
        }
        throw new Error(`updater ${updater} never won`);
      }),
    );

    const final = await store.stories.getStory('RMW-1');
    expect(final?.version).toBe(21);
    expect([...winnersByVersion.keys()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    for (const winners of winnersByVersion.values()) expect(winners).toHaveLength(1);
    for (let updater = 0; updater < 20; updater++) {
      expect(final?.document).toContain(`updater ${updater}\n`);
      expect(final?.labels).toContain(`u${updater}`);
    }
    expect(final?.labels).toHaveLength(21);
    expect(conflicts).toBeGreaterThan(0);
  });
});

describe('sqlite files', () => {
  const directories: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'storyflow-store-'));
    directories.push(dir);
    return dir;
  };

  afterAll(() => {
    for (const dir of directories) rmSync(dir, { recursive: true, force: true });
  });

  it('persists across close and reopen, creating the parent directory', async () => {
    const file = join(tempDir(), 'nested', 'deeper', 'stories.db');
    const record = story('FILE-1', { document: 'persisted\r\nbytes', labels: ['b', 'a'] });

    const first = await openStore(`sqlite:${file}`);
    expect(await first.stories.insertStory(record)).toBe(true);
    await first.close();

    const second = await openStore(`sqlite:${file}`);
    try {
      expect(await second.stories.getStory('FILE-1')).toEqual(record);
      expect(await second.stories.countStories()).toBe(1);
    } finally {
      await second.close();
    }
  });

  it('opens a relative sqlite: path against the working directory', async () => {
    const dir = tempDir();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const store = await openStore('sqlite:./data/relative.db');
      await store.stories.insertStory(story('REL-1'));
      await store.close();
    } finally {
      process.chdir(cwd);
    }
    const reopened = await openStore(`sqlite:${join(dir, 'data', 'relative.db')}`);
    try {
      expect(await reopened.stories.getStory('REL-1')).toBeDefined();
    } finally {
      await reopened.close();
    }
  });

  it('runs migrations idempotently on the same file', async () => {
    const file = join(tempDir(), 'twice.db');
    const first: KyselyStore = await createSqliteStore({ filename: file });
    const second: KyselyStore = await createSqliteStore({ filename: file });
    try {
      expect(await migrateToLatest(first.kysely)).toEqual([]);
      await first.stories.insertStory(story('TWICE-1'));
      expect(await second.stories.getStory('TWICE-1')).toBeDefined();
    } finally {
      await first.close();
      await second.close();
    }
    const third = await openStore(`sqlite:${file}`);
    try {
      expect(await third.stories.countStories()).toBe(1);
    } finally {
      await third.close();
    }
  });
});

describe.skipIf(!postgresTestUrl())(`postgres schemas (needs ${POSTGRES_URL_VARIABLE})`, () => {
  const schemas: string[] = [];

  afterAll(async () => {
    for (const schema of schemas) await dropPostgresSchema(schema);
  });

  it('runs migrations idempotently on the same schema', async () => {
    const schema = uniqueSchemaName();
    schemas.push(schema);
    const first = await openPostgresStoreInSchema(schema);
    try {
      await first.stories.insertStory(story('PG-1', { labels: ['x'] }));
    } finally {
      await first.close();
    }
    const second = (await openPostgresStoreInSchema(schema)) as KyselyStore;
    try {
      expect(await migrateToLatest(second.kysely)).toEqual([]);
      expect(await second.stories.getStory('PG-1')).toMatchObject({ id: 'PG-1', labels: ['x'] });
    } finally {
      await second.close();
    }
  });

  it('survives several instances starting at once on a fresh schema', async () => {
    const schema = uniqueSchemaName();
    schemas.push(schema);
    const stores = await Promise.all(
      Array.from({ length: 4 }, () => openPostgresStoreInSchema(schema)),
    );
    try {
      await Promise.all(stores.map((s, i) => s.stories.insertStory(story(`START-${i}`))));
      for (const s of stores) expect(await s.stories.countStories()).toBe(4);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('keeps schemas isolated from each other', async () => {
    const [a, b] = [uniqueSchemaName(), uniqueSchemaName()];
    schemas.push(a, b);
    const storeA = await openPostgresStoreInSchema(a);
    const storeB = await openPostgresStoreInSchema(b);
    try {
      await storeA.stories.insertStory(story('ISO-1'));
      expect(await storeA.stories.countStories()).toBe(1);
      expect(await storeB.stories.countStories()).toBe(0);
    } finally {
      await storeA.close();
      await storeB.close();
    }
  });
});

describe('openStore URLs', () => {
  it('parses the accepted forms', () => {
    expect(parseStoreUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', filename: ':memory:' });
    expect(parseStoreUrl('sqlite:./data/storyflow.db')).toEqual({
      dialect: 'sqlite',
      filename: './data/storyflow.db',
    });
    expect(parseStoreUrl('sqlite:/var/lib/storyflow.db')).toEqual({
      dialect: 'sqlite',
      filename: '/var/lib/storyflow.db',
    });
    expect(parseStoreUrl('postgres://u@h:5432/db')).toEqual({
      dialect: 'postgres',
      connectionString: 'postgres://u@h:5432/db',
    });
    expect(parseStoreUrl('postgresql://u@h/db').dialect).toBe('postgres');
  });

  it.each([
    'mysql://localhost/db',
    '',
    './storyflow.db',
    'sqlite:',
    'sqlite://host/file.db',
    'http://example.com',
  ])('rejects %j with a message naming STORYFLOW_DATABASE_URL', async (url) => {
    await expect(openStore(url)).rejects.toThrow(/STORYFLOW_DATABASE_URL/);
    await expect(openStore(url)).rejects.toThrow(/sqlite::memory:/);
  });

  it('does not echo a password in the error', async () => {
    await expect(openStore('mysql://user:hunter2@db/app')).rejects.toThrow(
      /^(?!.*hunter2).*mysql:\/\/user:\*\*\*@db\/app/,
    );
  });
});
