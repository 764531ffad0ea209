// Issue #17 point 6: a story linked to several PRs across repositories moves to done on the last
// merge of its open PRs (default) or the first, and its links show each PR.
import { afterEach, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../../src/domain/events/normalized-event.js';
import type { Store } from '../../../src/storage/store.js';
import { describeEachStore } from '../../support/store-factories.js';
import { type Harness, harness } from './automation-harness.js';

const sha = (digit: string) => digit.repeat(40);

function prEvent(
  kind: 'pr.opened' | 'pr.merged' | 'pr.closed',
  repository: string,
  number: number,
  body: string,
): Partial<NormalizedEvent> & Pick<NormalizedEvent, 'kind'> {
  return {
    kind,
    repository,
    defaultBranch: 'main',
    ...(kind === 'pr.merged' ? { sha: sha(String(number % 10)) } : {}),
    pr: {
      number,
      title: `Change ${number}`,
      body,
      source: `feature/change-${number}`,
      target: 'main',
      url: `https://github.com/${repository}/pull/${number}`,
      draft: false,
    },
  };
}

describeEachStore('a story linked to several pull requests', (open) => {
  let store: Store;
  afterEach(async () => {
    await store.close();
  });

  async function seeded(config: Parameters<typeof harness>[1] = {}): Promise<Harness> {
    store = await open();
    const h = harness(store, config);
    await h.seed(
      { id: 'INT-003', title: 'Webhooks', status: 'in_progress' },
      { id: 'INT-004', title: 'Slack', status: 'in_progress' },
      { id: 'UI-007', title: 'Board', status: 'in_progress' },
    );
    return h;
  }

  it('moves to done when the last of its open PRs, across repositories, is merged', async () => {
    const h = await seeded();
    await h.apply(prEvent('pr.opened', 'acme/shop', 7, 'Closes INT-003'));
    await h.apply(prEvent('pr.opened', 'acme/api', 12, 'Fixes INT-003, INT-004 and UI-007'));
    expect((await h.story('INT-003')).status).toBe('in_review');

    const first = await h.apply(prEvent('pr.merged', 'acme/shop', 7, 'Closes INT-003'));
    // Nothing changed, and the operation says why: INT-003 waits for acme/api#12.
    expect(first?.changes).toEqual([]);
    expect(first?.steps).toContainEqual({
      story: 'INT-003',
      rule: 'default: merged into the default branch → done',
      action: 'transition to done',
      because: 'linked branch feature/change-7; Closes INT-003',
      skipped: 'waiting for its other open pull requests: acme/api#12',
    });
    // The merge commit reaching main with its closing message does not move it either.
    await h.apply({
      kind: 'push',
      repository: 'acme/shop',
      branch: 'main',
      defaultBranch: 'main',
      sha: sha('7'),
      commits: [{ sha: sha('7'), message: 'Change 7 (#7)\n\nCloses INT-003', author: 'a' }],
    });
    expect((await h.story('INT-003')).status).toBe('in_review');

    const last = await h.apply(
      prEvent('pr.merged', 'acme/api', 12, 'Fixes INT-003, INT-004 and UI-007'),
    );
    expect(last?.changes).toEqual([
      { story: 'INT-003', field: 'status', before: 'in_review', after: 'done' },
      { story: 'INT-004', field: 'status', before: 'in_review', after: 'done' },
      { story: 'UI-007', field: 'status', before: 'in_review', after: 'done' },
    ]);

    // The links (GET /stories/INT-003/links) show each PR, in its repository, merged.
    const prs = (await store.links.listLinks('INT-003'))
      .filter((link) => link.type === 'pr')
      .map((link) => [link.repository, link.key, link.state, link.url])
      .sort();
    expect(prs).toEqual([
      ['acme/api', '12', 'merged', 'https://github.com/acme/api/pull/12'],
      ['acme/shop', '7', 'merged', 'https://github.com/acme/shop/pull/7'],
    ]);
  });

  it('a step tells why the first merge moved nothing, beside what else changed', async () => {
    const h = await seeded({
      rules: [{ name: 'label merged', on: ['pr.merged'], then: [{ addLabel: 'merged' }] }],
    });
    await h.apply(prEvent('pr.opened', 'acme/shop', 7, 'Closes INT-003'));
    await h.apply(prEvent('pr.opened', 'acme/api', 12, 'Closes INT-003'));
    const merged = await h.apply(prEvent('pr.merged', 'acme/shop', 7, 'Closes INT-003'));
    expect(merged?.steps).toContainEqual(
      expect.objectContaining({
        story: 'INT-003',
        rule: 'default: merged into the default branch → done',
        skipped: 'waiting for its other open pull requests: acme/api#12',
      }),
    );
    expect((await h.story('INT-003')).status).toBe('in_review');
  });

  it('a merge whose push comes before its pr.merged event still moves the story', async () => {
    const h = await seeded();
    // The PR only mentions INT-003; the commit it merges closes it.
    await h.apply(prEvent('pr.opened', 'acme/shop', 7, 'Part of INT-003'));
    const pushed = await h.apply({
      kind: 'push',
      repository: 'acme/shop',
      branch: 'main',
      defaultBranch: 'main',
      sha: sha('9'),
      commits: [
        { sha: sha('8'), message: 'Log the deliveries\n\nFixes INT-003', author: 'a' },
        { sha: sha('9'), message: 'Merge pull request #7 from acme/change-7', author: 'a' },
      ],
    });
    expect(pushed?.changes).toEqual([
      { story: 'INT-003', field: 'status', before: 'in_review', after: 'done' },
    ]);
  });

  it('a PR linked by hand, open, is waited for like one storyflow saw opened', async () => {
    const h = await seeded();
    await h.apply(prEvent('pr.opened', 'acme/shop', 7, 'Closes INT-003'));
    const at = '2025-09-01T09:00:00.000Z';
    await store.links.upsertLinks([
      {
        story: 'INT-003',
        type: 'pr',
        repository: 'acme/docs',
        key: '3',
        state: 'open',
        url: null,
        title: null,
        sha: null,
        environment: null,
        createdAt: at,
        updatedAt: at,
      },
    ]);
    await h.apply(prEvent('pr.merged', 'acme/shop', 7, 'Closes INT-003'));
    expect((await h.story('INT-003')).status).toBe('in_review');
  });

  it('a PR closed without merging is not waited for', async () => {
    const h = await seeded();
    await h.apply(prEvent('pr.opened', 'acme/shop', 7, 'Closes INT-003'));
    await h.apply(prEvent('pr.opened', 'acme/api', 12, 'Closes INT-003'));
    await h.apply(prEvent('pr.closed', 'acme/api', 12, 'Closes INT-003'));
    await h.apply(prEvent('pr.merged', 'acme/shop', 7, 'Closes INT-003'));
    expect((await h.story('INT-003')).status).toBe('done');
  });

  it('with automation.pullRequests: first, the first merge moves it', async () => {
    const h = await seeded({ pullRequests: 'first' });
    await h.apply(prEvent('pr.opened', 'acme/shop', 7, 'Closes INT-003'));
    await h.apply(prEvent('pr.opened', 'acme/api', 12, 'Closes INT-003'));
    const first = await h.apply(prEvent('pr.merged', 'acme/shop', 7, 'Closes INT-003'));
    expect(first?.changes).toEqual([
      { story: 'INT-003', field: 'status', before: 'in_review', after: 'done' },
    ]);
  });

  it('one PR closing three stories moves the three on its merge', async () => {
    const h = await seeded();
    await h.apply(prEvent('pr.opened', 'acme/api', 12, 'Fixes INT-003, INT-004 and UI-007'));
    const merged = await h.apply(
      prEvent('pr.merged', 'acme/api', 12, 'Fixes INT-003, INT-004 and UI-007'),
    );
    expect(merged?.changes.map((change) => `${change.story} ${change.after}`)).toEqual([
      'INT-003 done',
      'INT-004 done',
      'UI-007 done',
    ]);
  });
});
