// The inbox backlog gauge reads the count it is given (serve's checkpoint thread on a SQLite
// file), so a scrape never counts a large backlog on the event loop.
import { expect, it } from 'vitest';
import { createMetrics } from '../../src/http/metrics.js';
import type { Store } from '../../src/storage/store.js';

const storeCounting = (counted: string[]) =>
  ({
    deliveries: {
      countBacklog: async () => {
        counted.push('store');
        return 1;
      },
    },
    stories: { countStories: async () => 0 },
  }) as unknown as Store;

it('storyflow_inbox_backlog comes from the given countBacklog, not from the store', async () => {
  const counted: string[] = [];
  const metrics = createMetrics(storeCounting(counted), async () => 42);
  expect(await metrics.registry.getSingleMetricAsString('storyflow_inbox_backlog')).toContain(
    'storyflow_inbox_backlog 42',
  );
  expect(counted).toEqual([]);
});

it('storyflow_inbox_backlog is the store count when no countBacklog is given', async () => {
  const counted: string[] = [];
  const metrics = createMetrics(storeCounting(counted));
  expect(await metrics.registry.getSingleMetricAsString('storyflow_inbox_backlog')).toContain(
    'storyflow_inbox_backlog 1',
  );
  expect(counted).toEqual(['store']);
});
