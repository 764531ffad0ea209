// The words of the write-back pull request (src/domain/repositories/write-back-pull-request.ts):
// its title names the change, or counts the stories; its body lists each story's file and each
// change the branch's commits name; only storyflow's own commits count.
import { describe, expect, it } from 'vitest';
import { writeBackMessage } from '../../../src/domain/repositories/write-back-message.js';
import {
  changeLinesOf,
  PULL_REQUEST_MARKER,
  writeBackPullRequest,
} from '../../../src/domain/repositories/write-back-pull-request.js';

const branches = { base: 'main', head: 'storyflow/updates' };

describe('writeBackPullRequest', () => {
  it('one change: the title is the change; the body lists the story, its file and the change', () => {
    const text = writeBackPullRequest({
      ...branches,
      stories: [{ storyId: 'INT-3', path: 'docs/stories/INT-3.md' }],
      changes: ['INT-3: in_review → done (acme/shop#42 merged)'],
    });
    expect(text.title).toBe('storyflow: INT-3: in_review → done (acme/shop#42 merged)');
    expect(text.body).toBe(
      [
        PULL_REQUEST_MARKER,
        'Changes made in storyflow to stories kept in this repository, waiting to be merged into `main`.',
        'storyflow keeps this pull request up to date while changes are pending on `storyflow/updates`; once it is merged or closed, the next change opens a new one.',
        '',
        '### Stories',
        '',
        '| Story | File |',
        '| --- | --- |',
        '| INT-3 | `docs/stories/INT-3.md` |',
        '',
        '### Changes',
        '',
        '- INT-3: in_review → done (acme/shop#42 merged)',
        '',
      ].join('\n'),
    );
  });

  it('several changes to one story are counted; several stories are named, five at most', () => {
    const one = writeBackPullRequest({
      ...branches,
      stories: [{ storyId: 'INT-3', path: 'a.md' }],
      changes: ['INT-3: ready → in_progress', 'INT-3: title changed'],
    });
    expect(one.title).toBe('storyflow: 2 changes to INT-3');
    const ids = ['A-1', 'A-2', 'A-3', 'A-4', 'A-5', 'A-6'];
    const many = writeBackPullRequest({
      ...branches,
      stories: ids.map((storyId) => ({ storyId, path: `${storyId}.md` })),
      changes: ids.map((id) => `${id}: updated`),
    });
    expect(many.title).toBe('storyflow: 6 stories changed (A-1, A-2, A-3, A-4, A-5, …)');
  });

  it('lists stay readable: past 200 rows the rest is counted; pipes in a path are escaped', () => {
    const ids = Array.from({ length: 250 }, (_, n) => `S-${n}`);
    const text = writeBackPullRequest({
      ...branches,
      stories: [
        { storyId: 'S-0', path: 'odd|name.md' },
        ...ids.slice(1).map((id) => ({ storyId: id, path: `${id}.md` })),
      ],
      changes: ids.map((id) => `${id}: updated`),
    });
    expect(text.body).toContain('| S-0 | `odd\\|name.md` |');
    expect(text.body.match(/^- … and 50 more$/gm)).toHaveLength(2);
    expect(text.body).not.toContain('S-249');
    expect(text.title.length).toBeLessThanOrEqual(200);
  });
});

describe('changeLinesOf', () => {
  it("reads a write-back commit's lines: the subject of one change, the list of several", () => {
    const single = writeBackMessage([
      { storyId: 'INT-3', operationId: 'op_1', summary: 'INT-3: ready → done' },
    ]);
    expect(changeLinesOf(single)).toEqual(['INT-3: ready → done']);
    const several = writeBackMessage([
      { storyId: 'INT-3', operationId: 'op_1', summary: 'INT-3: ready → done' },
      { storyId: 'INT-4', operationId: 'op_2', summary: 'INT-4: title changed' },
    ]);
    expect(changeLinesOf(several)).toEqual(['INT-3: ready → done', 'INT-4: title changed']);
  });

  it('a commit storyflow did not make names no change', () => {
    expect(changeLinesOf('Fix a typo\n\n- not a change of storyflow\n')).toEqual([]);
  });
});
