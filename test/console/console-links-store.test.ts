// The board reads the links of all its cards at once (LinkRepository.listLinksOfStories): the
// same links as listLinks story by story, on both databases, past the 500-story chunk.
import { expect, it } from 'vitest';
import type { StoryLink } from '../../src/storage/link-repository.js';
import { describeEachStore } from '../support/store-factories.js';

const at = '2026-12-03T10:00:00.000Z';
const link = (story: string, key: string): StoryLink => ({
  story,
  repository: 'acme/app',
  type: 'pipeline',
  key,
  state: 'failed',
  url: null,
  title: null,
  sha: null,
  environment: null,
  createdAt: at,
  updatedAt: at,
});

describeEachStore('links of many stories', (open) => {
  it('answers the links of every story asked, and only theirs, past 500 stories', async () => {
    const store = await open();
    try {
      const ids = Array.from({ length: 620 }, (_, index) => `S-${String(index).padStart(4, '0')}`);
      await store.links.upsertLinks([
        link('S-0000', '1'),
        link('S-0000', '2'),
        link('S-0610', '3'),
        link('OTHER-1', '4'),
      ]);
      const found = await store.links.listLinksOfStories(ids);
      expect(found.map((item) => `${item.story}:${item.key}`).sort()).toEqual([
        'S-0000:1',
        'S-0000:2',
        'S-0610:3',
      ]);
      expect(await store.links.listLinksOfStories([])).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
