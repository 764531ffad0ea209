// One lost-race retry for every write that can lose one: StoryService's update and transition,
// an atomic batch and one operation of a non-atomic batch all run through retryLostRaces, and
// each gives up the same way (409 after MAX_WRITE_ATTEMPTS transactions), with its own advice.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditContext } from '../../src/domain/audit/audit-context.js';
import type { Clock } from '../../src/domain/clock.js';
import { DEFAULT_WORKFLOW } from '../../src/domain/story/workflow.js';
import { ProblemError } from '../../src/errors/problem-error.js';
import { BatchService } from '../../src/services/batch-service.js';
import { MAX_WRITE_ATTEMPTS, retryLostRaces } from '../../src/services/retry-lost-races.js';
import { LostWriteRace } from '../../src/services/story-problems.js';
import { StoryService } from '../../src/services/story-service.js';
import type { Repositories, Store, StoryRepository } from '../../src/storage/store.js';
import { describeEachStore } from '../support/store-factories.js';

const clock: Clock = { now: () => new Date('2025-09-01T08:00:00.000Z') };
const context: AuditContext = {
  actor: { type: 'token', id: 'tok_test', name: 'test' },
  requestId: 'r',
};

/** A store that only runs transactions, over no repositories: enough for the loop itself. */
function countingStore(): { store: Store; transactions: () => number } {
  let transactions = 0;
  const store = {
    transaction: <T>(fn: (tx: Repositories) => Promise<T>) => {
      transactions += 1;
      return fn({} as Repositories);
    },
  } as unknown as Store;
  return { store, transactions: () => transactions };
}

async function problemOf(promise: Promise<unknown>): Promise<ProblemError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProblemError);
  return error as ProblemError;
}

describe('retryLostRaces', () => {
  it('runs the write again in a new transaction until it stops losing, and answers its result', async () => {
    const { store, transactions } = countingStore();
    let losses = 3;
    const answer = await retryLostRaces(store, async () => {
      if (losses-- > 0) throw new LostWriteRace('RL-1');
      return 'written';
    });
    expect(answer).toBe('written');
    expect(transactions()).toBe(4);
  });

  it(`gives up after ${MAX_WRITE_ATTEMPTS} lost races with a 409 naming the story and the advice`, async () => {
    const { store, transactions } = countingStore();
    const problem = await problemOf(
      retryLostRaces(
        store,
        async () => {
          throw new LostWriteRace('RL-2');
        },
        'retry the batch',
      ),
    );
    expect(problem.code).toBe('conflict');
    expect(problem.status).toBe(409);
    expect(problem.message).toBe(
      'story RL-2 changed concurrently by many writers; retry the batch',
    );
    expect(transactions()).toBe(MAX_WRITE_ATTEMPTS);
  });

  it('advises a plain retry unless told otherwise', async () => {
    const { store } = countingStore();
    const problem = await problemOf(
      retryLostRaces(store, async () => {
        throw new LostWriteRace('RL-3');
      }),
    );
    expect(problem.message).toBe('story RL-3 changed concurrently by many writers; retry');
  });

  it('throws any other error at once, without another transaction', async () => {
    const { store, transactions } = countingStore();
    const refused = new ProblemError('story-not-found', 'No story RL-4');
    await expect(
      retryLostRaces(store, async () => {
        throw refused;
      }),
    ).rejects.toBe(refused);
    const broken = new Error('disk on fire');
    await expect(
      retryLostRaces(store, async () => {
        throw broken;
      }),
    ).rejects.toBe(broken);
    expect(transactions()).toBe(2);
  });
});

/** The store with every story write losing its race, counting transactions. */
function alwaysLosing(store: Store): { store: Store; transactions: () => number } {
  let transactions = 0;
  const losing = (tx: Repositories): Repositories => {
    const overrides: Partial<StoryRepository> = {
      updateStory: async () => false,
      updateStories: async (writes) => writes.map(({ record }) => record.id),
    };
    const stories = new Proxy(tx.stories, {
      get(target, property) {
        const override = overrides[property as keyof StoryRepository];
        if (override !== undefined) return override;
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return { ...tx, stories };
  };
  const wrapped = new Proxy(store, {
    get(target, property) {
      if (property === 'transaction') {
        return <T>(fn: (tx: Repositories) => Promise<T>) => {
          transactions += 1;
          return target.transaction((tx) => fn(losing(tx)));
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: wrapped, transactions: () => transactions };
}

describeEachStore('every write that can lose a race gives up the same way', (open) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    await new StoryService(store, DEFAULT_WORKFLOW, clock).create(
      { id: 'RACE-1', title: 'Raced' },
      context,
    );
  });
  afterEach(async () => {
    await store.close();
  });

  const services = (losing: Store) => {
    const stories = new StoryService(losing, DEFAULT_WORKFLOW, clock);
    let next = 0;
    const ids = { next: (prefix: string) => `${prefix}_${++next}`, secret: () => 'secret' };
    return { stories, batch: new BatchService(losing, stories, DEFAULT_WORKFLOW, clock, ids) };
  };

  it('an unpinned update and a transition: 409 "…; retry" after the last attempt', async () => {
    const losing = alwaysLosing(store);
    const { stories } = services(losing.store);
    const update = await problemOf(stories.update('RACE-1', { title: 'New' }, undefined, context));
    expect(update.message).toBe('story RACE-1 changed concurrently by many writers; retry');
    expect(losing.transactions()).toBe(MAX_WRITE_ATTEMPTS);
    const transition = await problemOf(stories.transition('RACE-1', 'ready', undefined, context));
    expect(transition.message).toBe('story RACE-1 changed concurrently by many writers; retry');
    expect(losing.transactions()).toBe(2 * MAX_WRITE_ATTEMPTS);
  });

  it('an atomic batch: 409 "…; retry the batch"; a non-atomic one answers 409 "…; retry it" for the operation', async () => {
    const losing = alwaysLosing(store);
    const { batch } = services(losing.store);
    const operations = [{ op: 'update' as const, id: 'RACE-1', changes: { title: 'New' } }];
    const atomic = await problemOf(batch.run(operations, true, context));
    expect(atomic.message).toBe(
      'story RACE-1 changed concurrently by many writers; retry the batch',
    );
    expect(losing.transactions()).toBe(MAX_WRITE_ATTEMPTS);
    const each = await batch.run(operations, false, context);
    expect(each.results).toEqual([
      {
        status: 409,
        problem: expect.objectContaining({
          detail: 'story RACE-1 changed concurrently by many writers; retry it',
        }),
      },
    ]);
    expect(losing.transactions()).toBe(2 * MAX_WRITE_ATTEMPTS);
    expect((await new StoryService(store, DEFAULT_WORKFLOW, clock).get('RACE-1')).version).toBe(1);
  });
});
