import { describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../../src/domain/events/normalized-event.js';
import { type LinkTemplate, linksForEvent } from '../../../src/domain/links/links-for-event.js';

const REPO = 'acme/shop';
const BRANCH = 'feature/INT-003-ci';
const event = (kind: NormalizedEvent['kind'], rest: Partial<NormalizedEvent> = {}) =>
  ({ kind, provider: 'github', repository: REPO, ...rest }) as NormalizedEvent;
const pr = (draft = false) => ({
  number: 7,
  title: 'CI endpoints',
  body: 'Closes INT-003',
  source: BRANCH,
  target: 'main',
  url: 'https://github.com/acme/shop/pull/7',
  draft,
});
const none = { state: null, url: null, title: null, sha: null, environment: null };
const link = (template: Partial<LinkTemplate> & Pick<LinkTemplate, 'type' | 'key'>) => ({
  ...none,
  ...template,
});

describe('linksForEvent', () => {
  it('branch.created: an active branch at its sha', () => {
    expect(linksForEvent(event('branch.created', { branch: BRANCH, sha: 'a1' }))).toEqual([
      link({ type: 'branch', key: BRANCH, state: 'active', sha: 'a1' }),
    ]);
  });

  it('branch.deleted: the branch is deleted and its sha left as it was', () => {
    expect(linksForEvent(event('branch.deleted', { branch: BRANCH, sha: 'a1' }))).toEqual([
      link({ type: 'branch', key: BRANCH, state: 'deleted' }),
    ]);
  });

  it('push: the branch and each commit, titled by its first line', () => {
    const links = linksForEvent(
      event('push', {
        branch: BRANCH,
        sha: 'c2',
        commits: [
          { sha: 'c1', message: 'INT-003 start\n\nlonger text', author: 'ann' },
          { sha: 'c2', message: 'more', author: 'ann' },
        ],
      }),
    );
    expect(links).toEqual([
      link({ type: 'branch', key: BRANCH, state: 'active', sha: 'c2' }),
      link({ type: 'commit', key: 'c1', sha: 'c1', title: 'INT-003 start' }),
      link({ type: 'commit', key: 'c2', sha: 'c2', title: 'more' }),
    ]);
  });

  it.each<[NormalizedEvent['kind'], boolean, string]>([
    ['pr.opened', false, 'open'],
    ['pr.opened', true, 'draft'],
    ['pr.updated', false, 'open'],
    ['pr.ready', false, 'open'],
    ['pr.merged', false, 'merged'],
    ['pr.closed', false, 'closed'],
  ])(
    '%s (draft %s): the PR is %s, keyed by number, with the source branch',
    (kind, draft, state) => {
      const links = linksForEvent(event(kind, { pr: pr(draft), sha: 'm1' }));
      expect(links).toEqual([
        link({ type: 'branch', key: BRANCH, state: 'active', sha: 'm1' }),
        link({
          type: 'pr',
          key: '7',
          state,
          url: 'https://github.com/acme/shop/pull/7',
          title: 'CI endpoints',
          sha: kind === 'pr.merged' ? 'm1' : null,
        }),
      ]);
    },
  );

  it.each([
    ['pipeline.started', 'started'],
    ['pipeline.succeeded', 'succeeded'],
    ['pipeline.failed', 'failed'],
  ] as const)('%s: one pipeline link per branch (not per run), state %s', (kind, state) => {
    const links = linksForEvent(
      event(kind, {
        branch: BRANCH,
        sha: 'a1',
        pipeline: { id: '99', name: 'CI', url: 'https://ci/99', status: 'x' },
      }),
    );
    expect(links).toContainEqual(
      link({ type: 'pipeline', key: BRANCH, state, url: 'https://ci/99', title: 'CI', sha: 'a1' }),
    );
    expect(links.find((l) => l.type === 'branch')).toMatchObject({ state: 'active' });
  });

  it('a pipeline on a tag is keyed by the tag, one with neither by its run', () => {
    const tagged = linksForEvent(
      event('pipeline.succeeded', { tag: 'v1.2', pipeline: { id: '5', status: 'success' } }),
    );
    expect(tagged).toEqual([link({ type: 'pipeline', key: 'v1.2', state: 'succeeded' })]);
    const bare = linksForEvent(
      event('pipeline.failed', { url: 'https://ci/5', pipeline: { id: '5', status: 'failed' } }),
    );
    expect(bare).toEqual([
      link({ type: 'pipeline', key: '5', state: 'failed', url: 'https://ci/5' }),
    ]);
  });

  it.each([
    ['deployment.started', 'started'],
    ['deployment.succeeded', 'succeeded'],
    ['deployment.failed', 'failed'],
    ['deployment.rolled_back', 'rolled_back'],
  ] as const)('%s: the environment is linked (state %s), not the branch', (kind, state) => {
    const links = linksForEvent(
      event(kind, {
        branch: 'main',
        sha: 'm1',
        environment: 'production',
        deployment: { id: '1', status: 'x', environmentUrl: 'https://shop.example' },
      }),
    );
    expect(links).toEqual([
      link({
        type: 'deployment',
        key: 'production',
        state,
        url: 'https://shop.example',
        sha: 'm1',
        environment: 'production',
      }),
    ]);
  });

  it('a deployment without an environment URL takes the event URL', () => {
    const [deployment] = linksForEvent(
      event('deployment.succeeded', { environment: 'staging', url: 'https://ci/deploy/3' }),
    );
    expect(deployment).toMatchObject({ url: 'https://ci/deploy/3', environment: 'staging' });
  });

  it('release.published links nothing', () => {
    expect(linksForEvent(event('release.published', { tag: 'v1' }))).toEqual([]);
  });
});
