// The inbox's group commit: requests that arrive together share one commit, requests that arrive
// during a commit share the next one, and that next commit starts before the answers of the one
// that just ended are delivered (the answers are then written while it runs).
import { expect, it } from 'vitest';
import { ProblemError } from '../../../src/errors/problem-error.js';
import { DeliveryInbox } from '../../../src/services/inbox/delivery-inbox.js';
import type { InboxItem, InboxResult } from '../../../src/services/inbox/store-deliveries.js';
import type { Store } from '../../../src/storage/store.js';
import { newDelivery } from '../../support/new-delivery.js';

const delivery = (id: string) => newDelivery(id);

/** Only the backlog count is read from the store; commits go through `write`. */
const emptyStore = { deliveries: { countBacklog: async () => 0 } } as unknown as Store;

/** A commit function whose commits end when the test says so, logging what happens. */
function controlledWrites(log: string[]) {
  const commits: { ids: string[]; finish(): void; fail(error: Error): void }[] = [];
  const write = (items: InboxItem[]) =>
    new Promise<InboxResult[]>((resolve, reject) => {
      const ids = items.map((item) => item.delivery.id);
      log.push(`commit ${ids.join(',')}`);
      commits.push({
        ids,
        finish: () => resolve(ids.map((id) => ({ id, duplicate: false }))),
        fail: reject,
      });
    });
  return { commits, write };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function untilCommits(commits: unknown[], count: number): Promise<void> {
  for (let i = 0; i < 20 && commits.length < count; i += 1) await turn();
  expect(commits).toHaveLength(count);
}

it('stores the requests of one turn of the event loop in one commit', async () => {
  const log: string[] = [];
  const { commits, write } = controlledWrites(log);
  const inbox = new DeliveryInbox(emptyStore, { max: 100, write });
  const answers = ['a', 'b', 'c'].map((id) => inbox.accept(delivery(id)));
  await untilCommits(commits, 1);
  commits[0]!.finish();
  expect(await Promise.all(answers)).toEqual([
    { id: 'a', duplicate: false },
    { id: 'b', duplicate: false },
    { id: 'c', duplicate: false },
  ]);
  expect(log).toEqual(['commit a,b,c']);
});

it('starts the commit of the requests that waited before answering the commit that ended', async () => {
  const log: string[] = [];
  const { commits, write } = controlledWrites(log);
  const inbox = new DeliveryInbox(emptyStore, { max: 100, write });
  const first = inbox.accept(delivery('a')).then(() => log.push('answered a'));
  await untilCommits(commits, 1);
  // These arrive while the first commit runs: they wait for the next one.
  const waiting = [inbox.accept(delivery('b')), inbox.accept(delivery('c'))];
  await turn();
  expect(log).toEqual(['commit a']);

  commits[0]!.finish();
  await first;
  expect(log).toEqual(['commit a', 'commit b,c', 'answered a']);
  commits[1]!.finish();
  expect(await Promise.all(waiting)).toEqual([
    { id: 'b', duplicate: false },
    { id: 'c', duplicate: false },
  ]);
});

it('answers 503 to the requests of a failed commit and carries on with the next ones', async () => {
  const log: string[] = [];
  const { commits, write } = controlledWrites(log);
  const inbox = new DeliveryInbox(emptyStore, { max: 100, write });
  const failed = inbox.accept(delivery('a'));
  await untilCommits(commits, 1);
  const next = inbox.accept(delivery('b'));
  commits[0]!.fail(new Error('disk I/O error'));
  await expect(failed).rejects.toSatisfy(
    (error) =>
      error instanceof ProblemError &&
      error.status === 503 &&
      error.message.includes('disk I/O error'),
  );
  await untilCommits(commits, 2);
  commits[1]!.finish();
  expect(await next).toEqual({ id: 'b', duplicate: false });
});

it('refuses with 503 when the backlog counted by the given countBacklog is at the limit, without asking the store', async () => {
  const storeCounts: string[] = [];
  const store = {
    deliveries: {
      countBacklog: async () => {
        storeCounts.push('store');
        return 0;
      },
    },
  } as unknown as Store;
  const { commits, write } = controlledWrites([]);
  const inbox = new DeliveryInbox(store, { max: 5, write, countBacklog: async () => 5 });
  await expect(inbox.accept(delivery('a'))).rejects.toSatisfy(
    (error) =>
      error instanceof ProblemError &&
      error.status === 503 &&
      error.message.includes('holds 5 deliveries'),
  );
  expect(commits).toHaveLength(0);
  expect(storeCounts).toEqual([]);
});
