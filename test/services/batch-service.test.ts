// The atomic batch keeps its story writes in memory and writes them in a few statements at the
// end (updateStories): these tests hold it to the same results as one write per operation.
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AuditContext } from '../../src/domain/audit/audit-context.js';
import type { Clock } from '../../src/domain/clock.js';
import type { IdGenerator } from '../../src/domain/ids.js';
import { DEFAULT_WORKFLOW } from '../../src/domain/story/workflow.js';
import { ProblemError } from '../../src/errors/problem-error.js';
import { AuditService } from '../../src/services/audit-service.js';
import { type BatchOperation, BatchService } from '../../src/services/batch-service.js';
import { StoryService } from '../../src/services/story-service.js';
import type { Repositories, Store, StoryRepository } from '../../src/storage/store.js';
import { dumpDatabase } from '../support/dump-database.js';
import { describeEachStore } from '../support/store-factories.js';

const clock: Clock = { now: () => new Date('2025-09-01T08:00:00.000Z') };
const context: AuditContext = {
  actor: { type: 'token', id: 'tok_test', name: 'test' },
  requestId: 'req-1',
};

function sequentialIds(): IdGenerator {
  let next = 0;
  return {
    next: (prefix) => `${prefix}_${++next}`,
    secret: () => 'secret',
  };
}

interface Watched {
  store: Store;
  transactions: number;
  updateStory: number;
  /** The number of writes of each updateStories call. */
  updateStories: number[];
  /** Called before each updateStories of a transaction; may answer ids to report as missed. */
  beforeUpdateStories?: (attempt: number) => Promise<string[] | undefined>;
  /** Called after the first getStories of each transaction (the batch's prefetch). */
  afterPrefetch?: (attempt: number) => Promise<void>;
}

/** The store with its transactions' story writes counted (and, when asked, interfered with). */
function watched(inner: Store): Watched {
  const watch: Watched = { store: inner, transactions: 0, updateStory: 0, updateStories: [] };
  const wrap = (stories: StoryRepository, attempt: number): StoryRepository => {
    let prefetched = false;
    const overrides: Partial<StoryRepository> = {
      updateStory: (...args) => {
        watch.updateStory += 1;
        return stories.updateStory(...args);
      },
      updateStories: async (writes) => {
        watch.updateStories.push(writes.length);
        const missed = await watch.beforeUpdateStories?.(attempt);
        return missed ?? stories.updateStories(writes);
      },
      getStories: async (ids) => {
        const records = await stories.getStories(ids);
        if (!prefetched) {
          prefetched = true;
          await watch.afterPrefetch?.(attempt);
        }
        return records;
      },
    };
    return new Proxy(stories, {
      get(target, property) {
        const override = overrides[property as keyof StoryRepository];
        if (override !== undefined) return override;
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  const transaction: Store['transaction'] = (fn) => {
    const attempt = ++watch.transactions;
    return inner.transaction((tx: Repositories) =>
      fn({ ...tx, stories: wrap(tx.stories, attempt) }),
    );
  };
  watch.store = new Proxy(inner, {
    get(target, property) {
      if (property === 'transaction') return transaction;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return watch;
}

const sharedIds = sequentialIds();

function batchService(store: Store, batchIds: IdGenerator = sharedIds): BatchService {
  return new BatchService(
    store,
    new StoryService(store, DEFAULT_WORKFLOW, clock),
    DEFAULT_WORKFLOW,
    clock,
    batchIds,
  );
}

const ids = (count: number, prefix = 'BAT') =>
  Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);

async function create(store: Store, storyIds: string[], batchIds?: IdGenerator): Promise<void> {
  const labels = ['x', 'y'];
  const answer = await batchService(store, batchIds).run(
    storyIds.map((id) => ({ op: 'create', story: { id, title: `Story ${id}`, labels } })),
    true,
    context,
  );
  expect(answer.results.every((result) => result.status === 201)).toBe(true);
}

/** Every table but Kysely's migration bookkeeping (it holds the time each store was made). */
async function dataOf(store: Store): Promise<Record<string, string[]>> {
  const { kysely_migration: _migrations, ...tables } = await dumpDatabase(store);
  return tables;
}

describeEachStore('atomic batch writes', (open, factory) => {
  let stores: Store[];
  const fresh = async () => {
    const store = await open();
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    stores = [];
  });

  afterEach(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  it('writes 1,000 transitions with one updateStories call and no single writes', async () => {
    const store = await fresh();
    const storyIds = ids(1000);
    await create(store, storyIds);
    const watch = watched(store);

    const answer = await batchService(watch.store).run(
      storyIds.map((id) => ({ op: 'transition', id, to: 'ready' })),
      true,
      context,
    );

    expect(watch.transactions).toBe(1);
    expect(watch.updateStory).toBe(0);
    expect(watch.updateStories).toEqual([1000]);
    expect(answer.results.map((result) => [result.status, result.story?.version])).toEqual(
      storyIds.map(() => [200, 2]),
    );
    const stored = await store.stories.getStories(storyIds);
    expect(stored.map((record) => [record.status, record.version, record.labels])).toEqual(
      stored.map(() => ['ready', 2, ['x', 'y']]),
    );
    expect(stored.every((record) => record.document.includes('\nstatus: ready\n'))).toBe(true);
    const entries = await store.audit.list({ batchId: answer.batch, limit: 2000 });
    expect(entries.map((entry) => [entry.action, entry.targetId])).toEqual(
      storyIds.map((id) => ['story.transitioned', id]),
    );
    expect((await new AuditService(store).verify()).ok).toBe(true);
  });

  it('stores and audits exactly what one write per operation stores', async () => {
    const seed = ids(6, 'MIX');
    const operations: BatchOperation[] = [
      { op: 'transition', id: 'MIX-1', to: 'ready' },
      { op: 'update', id: 'MIX-1', changes: { title: 'Renamed', labels: ['z'] }, version: 2 },
      { op: 'link', id: 'MIX-1', link: { type: 'branch', repository: 'a/b', key: 'mix-1' } },
      { op: 'transition', id: 'MIX-1', to: 'in_progress' },
      { op: 'transition', id: 'MIX-2', to: 'ready' },
      { op: 'delete', id: 'MIX-2', version: 2 },
      { op: 'transition', id: 'MIX-3', to: 'ready' },
      { op: 'transition', id: 'MIX-3', to: 'in_progress' },
      { op: 'transition', id: 'MIX-3', to: 'in_progress' },
      { op: 'update', id: 'MIX-4', changes: { epic: 'epic-a', body: '# New body\n' } },
      {
        op: 'import',
        document: '---\nid: MIX-5\ntitle: Imported\nstatus: ready\nlabels: [y]\n---\n\nBody\n',
      },
      { op: 'create', story: { id: 'MIX-9', title: 'Created', labels: ['n'] } },
      { op: 'transition', id: 'MIX-9', to: 'ready' },
      { op: 'update', id: 'MIX-6', changes: { branch_name: 'feat/mix-6' } },
      { op: 'transition', id: 'MIX-6', to: 'blocked', reason: 'waiting' },
    ];
    const atomic = await fresh();
    const each = await fresh();
    // The same batch ids on both stores: their audit logs are then equal too.
    const atomicIds = sequentialIds();
    const eachIds = sequentialIds();
    await create(atomic, seed, atomicIds);
    await create(each, seed, eachIds);

    const answers = [
      await batchService(atomic, atomicIds).run(operations, true, context),
      await batchService(each, eachIds).run(operations, false, context),
    ];

    expect(answers[0]?.results).toEqual(answers[1]?.results);
    expect(answers[0]?.results.map((result) => result.status)).toEqual([
      200, 200, 201, 200, 200, 204, 200, 200, 200, 200, 200, 201, 200, 200, 200,
    ]);
    expect(await dataOf(atomic)).toEqual(await dataOf(each));
    expect((await new AuditService(atomic).verify()).ok).toBe(true);
  });

  it('retries the batch when a story changed before its deferred write', async () => {
    const store = await fresh();
    const storyIds = ids(3);
    await create(store, storyIds);
    const watch = watched(store);
    // The first attempt's write finds BAT-2 at another version, as after a concurrent writer.
    watch.beforeUpdateStories = async (attempt) => (attempt === 1 ? ['BAT-2'] : undefined);

    const answer = await batchService(watch.store).run(
      storyIds.map((id) => ({ op: 'transition', id, to: 'ready' })),
      true,
      context,
    );

    expect(watch.transactions).toBe(2);
    expect(answer.results.map((result) => result.story?.version)).toEqual([2, 2, 2]);
    const entries = await store.audit.list({ batchId: answer.batch, limit: 10 });
    expect(entries.map((entry) => entry.targetId)).toEqual(storyIds);
    expect((await new AuditService(store).verify()).ok).toBe(true);
  });

  it.runIf(factory.name === 'postgres')(
    'a story another writer changes meanwhile: a pinned version fails, an unpinned one reapplies',
    async () => {
      const store = await fresh();
      await create(store, ids(2));
      const bump = async () => {
        const current = await store.stories.getStory('BAT-2');
        if (current === undefined) throw new Error('BAT-2 is missing');
        const next = { ...current, version: current.version + 1, title: 'Changed meanwhile' };
        expect(await store.stories.updateStory(next, current.version)).toBe(true);
      };

      // Pinned: the write of the first attempt misses; the retry answers 412 naming the operation.
      const pinned = watched(store);
      pinned.afterPrefetch = async (attempt) => {
        if (attempt === 1) await bump();
      };
      const failure = await batchService(pinned.store)
        .run(
          [
            { op: 'transition', id: 'BAT-1', to: 'ready' },
            { op: 'transition', id: 'BAT-2', to: 'ready', version: 1 },
          ],
          true,
          context,
        )
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProblemError);
      expect((failure as ProblemError).status).toBe(412);
      expect((failure as ProblemError).extensions).toMatchObject({
        operation: 1,
        currentVersion: 2,
        rolledBack: true,
      });
      // Only the other writer's change was stored.
      expect(await store.stories.getStory('BAT-1')).toMatchObject({ version: 1, status: 'draft' });
      expect(await store.stories.getStory('BAT-2')).toMatchObject({ version: 2, status: 'draft' });
      expect(await store.audit.list({ action: 'story.transitioned', limit: 10 })).toEqual([]);

      // Unpinned: the retry applies the transition on the version the other writer stored.
      const unpinned = watched(store);
      unpinned.afterPrefetch = async (attempt) => {
        if (attempt === 1) await bump();
      };
      const answer = await batchService(unpinned.store).run(
        [
          { op: 'transition', id: 'BAT-1', to: 'ready' },
          { op: 'transition', id: 'BAT-2', to: 'ready' },
        ],
        true,
        context,
      );
      expect(unpinned.transactions).toBe(2);
      expect(answer.results.map((result) => result.story?.version)).toEqual([2, 4]);
      expect(await store.stories.getStory('BAT-2')).toMatchObject({ version: 4, status: 'ready' });
      expect((await new AuditService(store).verify()).ok).toBe(true);
    },
  );
});
