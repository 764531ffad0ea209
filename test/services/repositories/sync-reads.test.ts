// The sync's bulk reads (issue #18 point 9): stories by id in chunks, on both databases, and
// blobs in one `git cat-file --batch` that leaves out the ones the mirror does not hold.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitMirror } from '../../../src/services/repositories/git-mirror.js';
import { STORY_READ_CHUNK, storiesById } from '../../../src/services/repositories/sync-reads.js';
import type { Store, StoryRecord } from '../../../src/storage/store.js';
import { createGitRepository, type GitRepository } from '../../support/git-repository.js';
import { describeEachStore } from '../../support/store-factories.js';

const story = (id: string): StoryRecord => ({
  id,
  document: `---\nid: ${id}\ntitle: Story ${id}\n---\n`,
  version: 1,
  title: `Story ${id}`,
  status: 'backlog',
  epic: null,
  branchName: null,
  labels: id.endsWith('0') ? ['tens'] : [],
  createdAt: '2026-12-04T00:00:00.000Z',
  updatedAt: '2026-12-04T00:00:00.000Z',
});

describeEachStore('storiesById', (open) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await store.close();
  });

  it('reads more ids than one query takes; missing and repeated ids are fine', async () => {
    const ids = Array.from({ length: STORY_READ_CHUNK + 20 }, (_, index) => `BIG-${index + 1}`);
    await store.transaction(async (tx) => {
      for (const id of ids) await tx.stories.insertStory(story(id));
    });
    const wanted = [...ids, 'BIG-0', 'NONE-1', ids[0] as string];
    const found = await store.transaction((tx) => storiesById(tx, wanted));
    expect(found.size).toBe(ids.length);
    expect(found.get('BIG-10')).toEqual(story('BIG-10'));
    expect(found.get(ids.at(-1) as string)).toEqual(story(ids.at(-1) as string));
    expect(found.has('NONE-1')).toBe(false);
    expect((await storiesById(store, [])).size).toBe(0);
  });
});

describe('GitMirror.readBlobs', () => {
  let repo: GitRepository;
  let mirrors: string;
  beforeEach(() => {
    repo = createGitRepository();
    repo.write('docs/stories/INT-1.md', 'one\n');
    repo.write('docs/stories/INT-2.md', 'two\n');
    repo.commit('two stories');
    repo.push();
    mirrors = mkdtempSync(join(tmpdir(), 'storyflow-mirrors-'));
  });
  afterEach(() => {
    repo.cleanup();
    rmSync(mirrors, { recursive: true, force: true });
  });

  it('reads blobs in one batch; a missing one is an error, or left out when asked', async () => {
    const mirror = new GitMirror(
      {
        name: 'acme/shop',
        provider: 'github',
        url: repo.url,
        branch: 'main',
        stories: 'docs/stories/**/*.md',
        writeBack: 'off',
        onDelete: 'keep',
        credentials: { kind: 'none' },
      },
      { mirrorDir: mirrors, env: { PATH: process.env.PATH ?? '', HOME: mirrors } },
    );
    const head = await mirror.fetch('main');
    const files = await mirror.listFiles(head);
    const shas = files.map((file) => file.blobSha);
    const missing = 'f'.repeat(40);
    await expect(mirror.readBlobs([shas[0] as string, missing])).rejects.toThrow(/missing/);
    const read = await mirror.readBlobs([missing, ...shas, missing], { skipMissing: true });
    expect([...read.keys()].sort()).toEqual([...shas].sort());
    expect(read.get(shas[0] as string)?.toString()).toBe('one\n');
    expect(read.get(shas[1] as string)?.toString()).toBe('two\n');
  });
});
