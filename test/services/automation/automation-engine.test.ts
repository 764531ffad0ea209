import { afterEach, beforeEach, expect, it } from 'vitest';
import { STORY_FIELD } from '../../../src/services/automation/create-stories.js';
import type { DeliveryRecord } from '../../../src/storage/delivery-repository.js';
import { describeEachStore } from '../../support/store-factories.js';
import { type Harness, harness, PERSON, REPO, storyDocument } from './automation-harness.js';

const FEATURE = 'feature/INT-003-ci';
const sha = (digit: string) => digit.repeat(40);
const pr = (body: string, overrides: Record<string, unknown> = {}) => ({
  number: 7,
  title: 'CI endpoints',
  body,
  source: FEATURE,
  target: 'main',
  url: 'https://github.com/acme/shop/pull/7',
  draft: false,
  ...overrides,
});

describeEachStore('automation engine', (open) => {
  let h: Harness;
  beforeEach(async () => {
    h = harness(await open());
    await h.seed(
      { id: 'INT-003', title: 'CI', status: 'draft', labels: ['api'] },
      { id: 'INT-004', title: 'Other', status: 'in_progress' },
    );
  });
  afterEach(async () => {
    await h.store.close();
  });

  it('records one operation per event with the rule and the reference that caused it', async () => {
    const operation = await h.apply({ kind: 'branch.created', branch: FEATURE, sha: sha('a') });
    expect(operation).toMatchObject({
      status: 'applied',
      triggerKind: 'branch.created',
      repository: REPO,
      changes: [{ story: 'INT-003', field: 'status', before: 'draft', after: 'in_progress' }],
      steps: [
        {
          story: 'INT-003',
          rule: 'default: branch created or pushed → in_progress',
          because: FEATURE,
        },
      ],
    });
    expect(await h.store.operations.getOperation(operation?.id ?? '')).toEqual(operation);
    // Nothing left to do: no operation at all.
    expect(await h.apply({ kind: 'push', branch: FEATURE, sha: sha('b') })).toBeUndefined();
  });

  it('a story created by a New-Story trailer and moved in one operation rolls back cleanly', async () => {
    // A push to `branch` whose head is `head`, carrying one commit.
    const pushOf = (branch: string, head: string, commit: string, message: string) => ({
      kind: 'push' as const,
      branch,
      sha: head,
      commits: [{ sha: commit, message, author: 'a' }],
    });
    const operation = await h.apply(
      pushOf('feature/checkout', sha('c'), sha('c'), 'Start checkout\n\nNew-Story: Checkout page'),
    );
    const created = await h.story('STORY-001');
    expect(created).toMatchObject({ title: 'Checkout page', status: 'in_progress' });
    expect(operation?.changes.map((change) => change.field)).toEqual([STORY_FIELD, 'status']);
    // The creation records the story as the operation left it.
    expect(operation?.changes[0]?.after).toBe(
      (await h.store.stories.getStory('STORY-001'))?.document,
    );

    // The same commit seen again (merged to main) creates nothing twice.
    const again = await h.apply(
      pushOf('main', sha('d'), sha('c'), 'Start checkout\n\nNew-Story: Checkout page'),
    );
    expect(again?.changes ?? []).toEqual([]);
    expect(await h.store.stories.listStoryIdsWithPrefix('STORY')).toEqual(['STORY-001']);

    const rollback = await h.operations.rollback(operation?.id ?? '', false, PERSON);
    expect(rollback.changes).toMatchObject([
      { story: 'STORY-001', field: STORY_FIELD, after: null },
    ]);
    expect(await h.store.stories.getStory('STORY-001')).toBeUndefined();

    // Rolled back means not wanted: the commit reaching yet another branch does not bring it back.
    const afterRollback = await h.apply(
      pushOf('release/1.0', sha('e'), sha('c'), 'Start checkout\n\nNew-Story: Checkout page'),
    );
    expect(afterRollback?.changes ?? []).toEqual([]);
    expect(await h.store.stories.listStoryIdsWithPrefix('STORY')).toEqual([]);
    // Another commit with the same trailer is a new request for the story: it is created.
    const another = await h.apply(
      pushOf(
        'feature/checkout-2',
        sha('f'),
        sha('f'),
        'Checkout, take two\n\nNew-Story: Checkout page',
      ),
    );
    expect(another?.changes.map((change) => change.story)).toContain('STORY-001');
    await h.operations.rollback(another?.id ?? '', false, PERSON);

    // Undoing the undo brings the story back as it was.
    const redo = await h.operations.rollback(rollback.id, false, PERSON);
    expect(redo).toMatchObject({ triggerKind: 'rollback', rollsBack: rollback.id });
    expect(await h.story('STORY-001')).toMatchObject({
      title: 'Checkout page',
      status: 'in_progress',
    });
  });

  it('a story document and a rule changing one field give one change, from the first value', async () => {
    const document = storyDocument({
      id: 'INT-003',
      title: 'CI v2',
      status: 'in_progress',
      labels: ['api'],
    });
    const operation = await h.apply({ kind: 'pr.opened', branch: FEATURE, pr: pr(document) });
    expect(operation?.changes).toEqual([
      { story: 'INT-003', field: 'title', before: 'CI', after: 'CI v2' },
      { story: 'INT-003', field: 'status', before: 'draft', after: 'in_review' },
      { story: 'INT-003', field: 'body', before: '# CI\n', after: '# CI v2\n' },
    ]);
    await h.operations.rollback(operation?.id ?? '', false, PERSON);
    expect(await h.story('INT-003')).toMatchObject({
      title: 'CI',
      status: 'draft',
      body: '# CI\n',
    });
  });

  it('a smart comment is made once, not again when its commit reaches main', async () => {
    const commit = { sha: sha('e'), message: 'INT-003 #comment ready for a look', author: 'a' };
    const first = await h.apply({
      kind: 'push',
      branch: FEATURE,
      sha: sha('e'),
      commits: [commit],
    });
    expect(first?.comments).toEqual([
      { story: 'INT-003', text: 'ready for a look', rule: 'smart command' },
    ]);
    const second = await h.apply({
      kind: 'push',
      branch: 'main',
      sha: sha('f'),
      commits: [commit],
    });
    expect(second?.comments ?? []).toEqual([]);
  });

  it('a smart transition moves as a person may, and says why when the workflow refuses', async () => {
    const moved = await h.apply({
      kind: 'push',
      branch: 'main',
      sha: sha('1'),
      commits: [{ sha: sha('1'), message: 'INT-004 #in_review', author: 'a' }],
    });
    expect(moved?.changes).toEqual([
      { story: 'INT-004', field: 'status', before: 'in_progress', after: 'in_review' },
    ]);
    const refused = await h.store.transaction((tx) =>
      h.engine.apply(
        tx,
        {
          kind: 'push',
          provider: 'ci',
          repository: REPO,
          branch: 'main',
          commits: [{ sha: sha('2'), message: 'INT-004 #accepted', author: 'a' }],
        },
        { deliveryId: null, eventIndex: null, actor: PERSON.actor, requestId: null },
      ),
    );
    expect(refused).toBeUndefined();
    expect((await h.story('INT-004')).status).toBe('in_review');
  });

  it('stories once mentioned on main are not named by every later event on main', async () => {
    await h.apply({
      kind: 'push',
      branch: 'main',
      sha: sha('3'),
      commits: [{ sha: sha('3'), message: 'Refs INT-003: tidy', author: 'a' }],
    });
    const failed = await h.apply({
      kind: 'pipeline.failed',
      branch: 'main',
      sha: sha('4'),
      pipeline: { id: '1', status: 'failed' },
    });
    expect(failed).toBeUndefined();
    expect((await h.story('INT-003')).labels).toEqual(['api']);
    // On the story's own branch the link is followed.
    await h.apply({
      kind: 'push',
      branch: 'tidy-up',
      sha: sha('5'),
      commits: [{ sha: sha('5'), message: 'INT-003 tidy', author: 'a' }],
    });
    const onBranch = await h.apply({
      kind: 'pipeline.failed',
      branch: 'tidy-up',
      sha: sha('6'),
      pipeline: { id: '2', status: 'failed' },
    });
    expect(onBranch?.changes).toEqual([
      { story: 'INT-003', field: 'labels', before: ['api'], after: ['api', 'ci-failing'] },
    ]);
  });

  it('a failed deployment rolls back what the success did, and marks it rolled back', async () => {
    const success = await h.apply({
      kind: 'deployment.succeeded',
      environment: 'production',
      sha: sha('7'),
      stories: ['INT-004'],
    });
    expect((await h.story('INT-004')).status).toBe('done');
    const failure = await h.apply({
      kind: 'deployment.failed',
      environment: 'production',
      sha: sha('7'),
    });
    expect(failure?.changes).toEqual([
      { story: 'INT-004', field: 'status', before: 'done', after: 'in_progress' },
    ]);
    expect(failure?.steps).toContainEqual({
      story: 'INT-004',
      rule: 'automatic rollback',
      action: `roll back ${success?.id}`,
      because: 'deployment.failed in production',
    });
    expect(await h.store.operations.getOperation(success?.id ?? '')).toMatchObject({
      status: 'rolled_back',
      rolledBackBy: failure?.id,
    });
  });

  it('a field changed since the success is left, and the success stays applied', async () => {
    const success = await h.apply({
      kind: 'deployment.succeeded',
      environment: 'production',
      stories: ['INT-004'],
    });
    await h.stories.transition('INT-004', 'accepted', undefined, PERSON);
    // Nothing could be undone: an operation without changes records why.
    const failure = await h.apply({ kind: 'deployment.rolled_back', environment: 'production' });
    expect(failure?.changes).toEqual([]);
    expect(failure?.steps).toContainEqual(
      expect.objectContaining({
        rule: 'automatic rollback',
        skipped: expect.stringContaining('INT-004.status'),
      }),
    );
    expect((await h.story('INT-004')).status).toBe('accepted');
    expect((await h.store.operations.getOperation(success?.id ?? ''))?.status).toBe('applied');
  });

  it('a revert commit undoes what the reverted commit did', async () => {
    const started = await h.apply({
      kind: 'push',
      branch: 'main',
      sha: sha('8'),
      commits: [{ sha: sha('8'), message: 'INT-004 #in_review', author: 'a' }],
    });
    const reverted = await h.apply({
      kind: 'push',
      branch: 'main',
      sha: sha('9'),
      commits: [
        {
          sha: sha('9'),
          message: `Revert "INT-004 #in_review"\n\nThis reverts commit ${sha('8')}.`,
          author: 'a',
        },
      ],
    });
    expect(reverted?.changes).toEqual([
      { story: 'INT-004', field: 'status', before: 'in_review', after: 'in_progress' },
    ]);
    expect((await h.store.operations.getOperation(started?.id ?? ''))?.status).toBe('rolled_back');
  });

  it('a delivery handled twice applies its events once', async () => {
    const delivery = { id: 'dlv_1', deliveryId: 'gh-1', provider: 'github' } as DeliveryRecord;
    const events = [
      { kind: 'branch.created' as const, provider: 'github', repository: REPO, branch: FEATURE },
    ];
    const first = await h.store.transaction((tx) => h.engine.handle(tx, delivery, events));
    const second = await h.store.transaction((tx) => h.engine.handle(tx, delivery, events));
    expect(second.operations.map((op) => op.id)).toEqual(first.operations.map((op) => op.id));
    const listed = await h.store.operations.listOperations({ delivery: 'dlv_1', limit: 10 });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ deliveryId: 'dlv_1', eventIndex: 0 });
  });

  it('a replayed delivery whose event changed nothing does not act on the newer state', async () => {
    const delivery = { id: 'dlv_2', deliveryId: 'gh-2', provider: 'github' } as DeliveryRecord;
    // INT-004 is already in progress: a push on its branch changes nothing.
    const events = [
      { kind: 'push' as const, provider: 'github', repository: REPO, branch: 'feature/INT-004-x' },
    ];
    const first = await h.store.transaction((tx) => h.engine.handle(tx, delivery, events));
    expect(first.operations).toEqual([]);
    // Later a person moves it back; replaying the old delivery must not move it forward again.
    await h.stories.transition('INT-004', 'ready', undefined, PERSON);
    const replay = await h.store.transaction((tx) => h.engine.handle(tx, delivery, events));
    expect(replay.operations).toEqual([]);
    expect((await h.story('INT-004')).status).toBe('ready');
  });

  it('links carry the latest state of each branch, PR, pipeline and deployment', async () => {
    await h.apply({ kind: 'pr.opened', branch: FEATURE, pr: pr('') });
    await h.apply({ kind: 'pr.merged', branch: FEATURE, sha: sha('m'), pr: pr('') });
    await h.apply({ kind: 'branch.deleted', branch: FEATURE, sha: sha('m') });
    const links = await h.store.links.listLinks('INT-003');
    expect(links.map((link) => [link.type, link.key, link.state])).toEqual([
      ['branch', FEATURE, 'deleted'],
      ['pr', '7', 'merged'],
    ]);
  });
});
