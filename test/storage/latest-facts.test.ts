// The newest fact applied per deployment, pipeline or PR (migration 0010), which the automation
// engine compares a late delivery against.
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { EventSubject } from '../../src/domain/events/event-order.js';
import type { LatestFact } from '../../src/storage/link-repository.js';
import type { Store } from '../../src/storage/store.js';
import { describeEachStore } from '../support/store-factories.js';

const subject: EventSubject = {
  type: 'deployment',
  repository: 'acme/shop',
  key: 'github:145988746@production',
};
const fact = (overrides: Partial<LatestFact> = {}): LatestFact => ({
  kind: 'deployment.succeeded',
  occurredAt: '2025-06-01T10:03:00.000Z',
  // GitHub's status ids are past 2^31: a bigint on PostgreSQL, read back as a number.
  sequence: 12_345_678_901,
  deliveryId: 'dlv_1',
  eventIndex: 0,
  appliedAt: '2025-06-01T10:03:01.000Z',
  ...overrides,
});

describeEachStore('latest facts', (open, factory) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await store.close();
  });

  it('nothing is known about a subject before a fact is recorded', async () => {
    expect(await store.transaction((tx) => tx.links.lockLatestFact(subject))).toBeUndefined();
  });

  it('the recorded fact reads back as it was written, and a newer one replaces it', async () => {
    await store.transaction((tx) => tx.links.recordLatestFact(subject, fact()));
    expect(await store.transaction((tx) => tx.links.lockLatestFact(subject))).toEqual(fact());
    const newer = fact({ kind: 'deployment.failed', sequence: null, deliveryId: 'dlv_2' });
    await store.transaction((tx) => tx.links.recordLatestFact(subject, newer));
    expect(await store.transaction((tx) => tx.links.lockLatestFact(subject))).toEqual(newer);
    // Other subjects are apart.
    expect(
      await store.transaction((tx) =>
        tx.links.lockLatestFact({ ...subject, key: 'github:145988746@staging' }),
      ),
    ).toBeUndefined();
  });

  // SQLite runs one write transaction at a time: there is nothing to hold back.
  it.runIf(factory.name === 'postgres')(
    'a transaction that locked a subject holds back another until it commits, which then sees its fact',
    async () => {
      let releaseFirst!: () => void;
      const firstMayCommit = new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      let firstLocked!: () => void;
      const locked = new Promise<void>((resolve) => {
        firstLocked = resolve;
      });
      const order: string[] = [];
      const first = store.transaction(async (tx) => {
        expect(await tx.links.lockLatestFact(subject)).toBeUndefined();
        firstLocked();
        await firstMayCommit;
        await tx.links.recordLatestFact(subject, fact());
        order.push('first recorded');
      });
      await locked;
      const second = store.transaction(async (tx) => {
        const seen = await tx.links.lockLatestFact(subject);
        order.push('second read');
        return seen;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(order).toEqual([]);
      releaseFirst();
      await first;
      expect(await second).toEqual(fact());
      expect(order).toEqual(['first recorded', 'second read']);
    },
  );
});
