// Bindings and sync state of stories as code (migration 0014), on both databases: pushes counted,
// claimed under a lease, taken off by the sync that covered them, retried after a failure.
import { afterEach, beforeEach, expect, it } from 'vitest';
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
    await sync().markSynced('acme/shop', 'c'.repeat(40), at, 2);
    expect(await sync().getState('acme/shop')).toMatchObject({
      lastSyncedSha: 'c'.repeat(40),
      lastSyncedAt: at,
      pendingPushes: 1,
      failedAttempts: 0,
      leaseUntil: null,
    });
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
