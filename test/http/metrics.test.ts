// The gauges read the sources they are given (serve on a SQLite file counts the backlog in its
// checkpoint thread), so a scrape never counts a large backlog on the event loop.
import { expect, it } from 'vitest';
import { createMetrics } from '../../src/http/metrics.js';

it('storyflow_inbox_backlog and storyflow_stories come from the given sources at each scrape', async () => {
  let backlog = 42;
  const metrics = createMetrics({ countStories: async () => 7, countBacklog: async () => backlog });
  expect(await metrics.registry.getSingleMetricAsString('storyflow_inbox_backlog')).toContain(
    'storyflow_inbox_backlog 42',
  );
  backlog = 3;
  expect(await metrics.registry.getSingleMetricAsString('storyflow_inbox_backlog')).toContain(
    'storyflow_inbox_backlog 3',
  );
  expect(await metrics.registry.getSingleMetricAsString('storyflow_stories')).toContain(
    'storyflow_stories 7',
  );
});
