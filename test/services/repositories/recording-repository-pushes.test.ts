// Which pushes ask for a sync: a push event (any provider) to a configured repository, by name,
// and its tracked branch; recorded in the delivery's transaction, after the inner handler.
import { describe, expect, it } from 'vitest';
import type { RepositoryConfig } from '../../../src/config/config.js';
import type { NormalizedEvent } from '../../../src/domain/events/normalized-event.js';
import type { DeliveryHandler } from '../../../src/services/inbox/delivery-handler.js';
import { recordingRepositoryPushes } from '../../../src/services/repositories/recording-repository-pushes.js';
import type { Repositories } from '../../../src/storage/store.js';

const repository = (name: string, branch: string | null): RepositoryConfig => ({
  name,
  provider: 'gitlab',
  url: 'file:///r.git',
  branch,
  stories: '*.md',
  writeBack: 'off',
  onDelete: 'keep',
  credentials: { kind: 'none' },
});

const push = (fields: Partial<NormalizedEvent>): NormalizedEvent => ({
  kind: 'push',
  provider: 'gitlab',
  repository: 'group/sub/shop',
  branch: 'main',
  sha: 'a'.repeat(40),
  ...fields,
});

async function recorded(repositories: RepositoryConfig[], events: NormalizedEvent[]) {
  const pushes: string[] = [];
  const order: string[] = [];
  const inner: DeliveryHandler = {
    async handle() {
      order.push('inner');
      return { operations: [] };
    },
  };
  const tx = {
    repositorySync: {
      recordPush: async (name: string) => {
        order.push('record');
        pushes.push(name);
      },
    },
  } as unknown as Repositories;
  let woken = 0;
  const handler = recordingRepositoryPushes(
    inner,
    repositories,
    { now: () => new Date('2026-12-03T00:00:00Z') },
    () => {
      woken += 1;
    },
  );
  await handler.handle(tx, {} as never, events);
  return { pushes, order, woken };
}

describe('recordingRepositoryPushes', () => {
  it('records a push to the tracked branch of a configured repository, after the inner handler', async () => {
    const result = await recorded([repository('group/sub/shop', 'main')], [push({})]);
    expect(result).toEqual({ pushes: ['group/sub/shop'], order: ['inner', 'record'], woken: 1 });
  });

  it.each([
    ['another branch', [repository('group/sub/shop', 'main')], push({ branch: 'feature/x' })],
    ['another repository', [repository('group/sub/other', 'main')], push({})],
    ['not a push', [repository('group/sub/shop', 'main')], push({ kind: 'branch.created' })],
    [
      'not the default branch, with no branch configured',
      [repository('group/sub/shop', null)],
      push({ branch: 'feature/x', defaultBranch: 'main' }),
    ],
  ])('ignores %s', async (_case, repositories, event) => {
    expect((await recorded(repositories, [event])).pushes).toEqual([]);
  });

  it('with no branch configured, follows the default branch the event names', async () => {
    const result = await recorded(
      [repository('group/sub/shop', null)],
      [push({ branch: 'trunk', defaultBranch: 'trunk' })],
    );
    expect(result.pushes).toEqual(['group/sub/shop']);
  });
});
