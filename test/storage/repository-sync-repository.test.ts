// Bindings and sync state of stories as code (migration 0014), on both databases: pushes counted,
// claimed under a lease, taken off by the sync that covered them, retried after a failure.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BINDING_CHUNK } from '../../src/storage/kysely-repository-sync-repository.js';
import type { RepositoryBinding } from '../../src/storage/repository-sync-repository.js';
import type { Store } from '../../src/storage/store.js';
import { describeEachStore } from '../support/store-factories.js';

describeEachStore('repository sync repository', (open) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await store.close();
  });
  const sync = () => store.repositorySync;

  it('binds, rebinds and unbinds paths; counts bindings per repository', async () => {
    const binding = {
      repository: 'acme/shop',
      path: 'docs/stories/INT-1.md',
      storyId: 'INT-1',
      blobSha: 'b1',
      commitSha: 'c1',
      boundAt: '2026-12-03T00:00:00.000Z',
    };
    await sync().putBinding(binding);
    await sync().putBinding({ ...binding, path: 'docs/stories/INT-2.md', storyId: 'INT-2' });
    await sync().putBinding({ ...binding, storyId: 'INT-9', blobSha: 'b2' });
    await sync().putBinding({ ...binding, repository: 'acme/other' });
    expect(await sync().listBindings('acme/shop')).toEqual([
      { ...binding, storyId: 'INT-9', blobSha: 'b2' },
      { ...binding, path: 'docs/stories/INT-2.md', storyId: 'INT-2' },
    ]);
    await sync().removeBinding('acme/shop', 'docs/stories/INT-2.md');
    expect(await sync().countBindings('acme/shop')).toBe(1);
    expect(await sync().countBindings('acme/other')).toBe(1);
  });

  it('binds and unbinds many paths at once, in more than one statement', async () => {
    const count = BINDING_CHUNK * 2 + 5;
    const many: RepositoryBinding[] = Array.from({ length: count }, (_, index) => ({
      repository: 'acme/shop',
      path: `docs/stories/INT-${String(index).padStart(5, '0')}.md`,
      storyId: `INT-${index}`,
      blobSha: `b${index}`,
      commitSha: 'c1',
      boundAt: '2026-12-03T00:00:00.000Z',
    }));
    const other = { ...(many[0] as RepositoryBinding), repository: 'acme/other' };
    await sync().putBindings([other]);
    await sync().putBindings([]);
    await sync().putBindings(many);
    expect(await sync().listBindings('acme/shop')).toEqual(many);

    // Rebinding: a path given twice is bound as its last entry says; the rest are updated.
    const rebound = many.map((binding) => ({ ...binding, blobSha: 'b2', commitSha: 'c2' }));
    const first = rebound[0] as RepositoryBinding;
    await sync().putBindings([
      { ...first, storyId: 'INT-X' },
      ...rebound,
      { ...first, storyId: 'INT-Y' },
    ]);
    const listed = await sync().listBindings('acme/shop');
    expect(listed).toHaveLength(count);
    expect(listed[0]).toEqual({ ...first, storyId: 'INT-Y' });
    expect(listed.slice(1)).toEqual(rebound.slice(1));

    // Every other path removed (a path twice counts once); the other repository is left alone.
    const removed = many.filter((_, index) => index % 2 === 0).map((binding) => binding.path);
    await sync().removeBindings('acme/shop', [...removed, removed[0] as string]);
    await sync().removeBindings('acme/shop', []);
    expect((await sync().listBindings('acme/shop')).map((binding) => binding.path)).toEqual(
      many.filter((_, index) => index % 2 === 1).map((binding) => binding.path),
    );
    expect(await sync().listBindings('acme/other')).toEqual([other]);
  });

  it('binds many paths inside a transaction, and a rollback leaves none', async () => {
    const binding = (index: number): RepositoryBinding => ({
      repository: 'acme/shop',
      path: `docs/stories/INT-${index}.md`,
      storyId: `INT-${index}`,
      blobSha: 'b1',
      commitSha: 'c1',
      boundAt: '2026-12-03T00:00:00.000Z',
    });
    const many = Array.from({ length: BINDING_CHUNK + 1 }, (_, index) => binding(index));
    await expect(
      store.transaction(async (tx) => {
        await tx.repositorySync.putBindings(many);
        expect(await tx.repositorySync.countBindings('acme/shop')).toBe(BINDING_CHUNK + 1);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await sync().countBindings('acme/shop')).toBe(0);
  });

  it('pushes are claimed once under a lease; a sync takes off only the pushes it covered', async () => {
    const at = '2026-12-03T00:00:00.000Z';
    await sync().recordPush('acme/shop', at);
    await sync().recordPush('acme/shop', at);
    const claimed = await store.transaction((tx) =>
      tx.repositorySync.claimDue(['acme/shop'], at, '2026-12-03T00:10:00.000Z'),
    );
    expect(claimed.map((state) => [state.repository, state.pendingPushes])).toEqual([
      ['acme/shop', 2],
    ]);
    expect(await sync().claimDue(['acme/shop'], at, '2026-12-03T00:10:00.000Z')).toEqual([]);
    // A third push arrives while the sync of the first two runs.
    await sync().recordPush('acme/shop', at);
    await sync().markSynced('acme/shop', 'c'.repeat(40), at, 2, null);
    expect(await sync().getState('acme/shop')).toMatchObject({
      lastSyncedSha: 'c'.repeat(40),
      lastSyncedAt: at,
      pendingPushes: 1,
      failedAttempts: 0,
      leaseUntil: null,
    });
  });

  it('a sync does not move the sync point back from a write-back commit recorded while it ran', async () => {
    const at = '2026-12-03T00:00:00.000Z';
    const [seeded, writtenBack, later] = ['a', 'b', 'c'].map((letter) => letter.repeat(40));
    await sync().markSynced('acme/shop', seeded as string, at, 0, null);
    // A sync starts from `seeded` and fetches it; meanwhile a write-back pushes its commit on top
    // and moves the point there.
    await sync().recordPush('acme/shop', at);
    await store.transaction((tx) =>
      tx.repositoryWriteBacks.advanceSyncedSha(
        'acme/shop',
        seeded as string,
        writtenBack as string,
      ),
    );
    await sync().markSynced('acme/shop', seeded as string, at, 1, seeded as string);
    expect(await sync().getState('acme/shop')).toMatchObject({
      lastSyncedSha: writtenBack,
      pendingPushes: 0,
      leaseUntil: null,
    });
    // A sync that started from the point as it stands moves it.
    await sync().markSynced('acme/shop', later as string, at, 0, writtenBack as string);
    expect((await sync().getState('acme/shop'))?.lastSyncedSha).toBe(later);
  });

  it('a failure is counted and due again later; a push meanwhile waits for that retry', async () => {
    const at = '2026-12-03T00:00:00.000Z';
    const later = '2026-12-03T00:05:00.000Z';
    await sync().recordPush('acme/shop', at);
    await sync().claimDue(['acme/shop'], at, later);
    await sync().markFailed('acme/shop', 'git fetch failed (exit 128): not found', later);
    await sync().recordPush('acme/shop', at);
    expect(await sync().getState('acme/shop')).toMatchObject({
      pendingPushes: 2,
      failedAttempts: 1,
      nextAttemptAt: later,
      lastError: 'git fetch failed (exit 128): not found',
    });
    expect(await sync().claimDue(['acme/shop'], at, later)).toEqual([]);
    expect(await sync().claimDue(['acme/other'], later, '2026-12-03T00:15:00.000Z')).toEqual([]);
    expect(await sync().claimDue(['acme/shop'], later, '2026-12-03T00:15:00.000Z')).toHaveLength(1);
  });
});
