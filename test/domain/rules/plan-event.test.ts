import { describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../../src/domain/events/normalized-event.js';
import { planEvent } from '../../../src/domain/rules/plan-event.js';
import type { Rule } from '../../../src/domain/rules/rule.js';
import {
  BRANCH,
  byBranch,
  byLink,
  closes,
  event,
  input,
  mentions,
  pr,
  type StoryOptions,
} from './rule-test-helpers.js';

const statusAfter = (evt: NormalizedEvent, story: StoryOptions = {}) =>
  planEvent(input(evt, story)).changes.find((change) => change.field === 'status')?.after;

describe('default rules', () => {
  it.each<[string, NormalizedEvent, StoryOptions, string | undefined]>([
    [
      'branch.created on a story branch',
      event('branch.created', { branch: BRANCH }),
      {},
      'in_progress',
    ],
    [
      'branch.created on the default branch',
      event('branch.created', { branch: 'main' }),
      {},
      undefined,
    ],
    [
      'a push to a story branch',
      event('push', { branch: BRANCH }),
      { status: 'ready' },
      'in_progress',
    ],
    [
      'a push to main with a closing commit',
      event('push', {
        branch: 'main',
        commits: [{ sha: 'c1', message: 'Fixes INT-003', author: 'a' }],
      }),
      { status: 'in_review', references: [{ ...closes, source: 'commit' }] },
      'done',
    ],
    [
      'a push to main that only mentions the story',
      event('push', { branch: 'main' }),
      { status: 'in_review', references: [mentions] },
      undefined,
    ],
    ['pr.opened', event('pr.opened', { pr: pr() }), { status: 'in_progress' }, 'in_review'],
    [
      'pr.opened as a draft',
      event('pr.opened', { pr: pr({ draft: true }) }),
      { status: 'in_progress' },
      undefined,
    ],
    ['pr.ready', event('pr.ready', { pr: pr() }), { status: 'in_progress' }, 'in_review'],
    ['pr.updated', event('pr.updated', { pr: pr() }), { status: 'in_progress' }, undefined],
    [
      'pr.merged into main, named by the branch',
      event('pr.merged', { pr: pr() }),
      { status: 'in_review', references: [byBranch] },
      'done',
    ],
    [
      'pr.merged into main with "Closes"',
      event('pr.merged', { pr: pr({ source: 'tidy' }) }),
      { status: 'in_review', references: [closes] },
      'done',
    ],
    [
      'pr.merged into main, only mentioned',
      event('pr.merged', { pr: pr({ source: 'tidy' }) }),
      { status: 'in_review', references: [mentions] },
      undefined,
    ],
    [
      'pr.merged into a release branch',
      event('pr.merged', { pr: pr({ target: 'release/1.0' }) }),
      { status: 'in_review' },
      undefined,
    ],
    [
      'deployment.succeeded in production',
      event('deployment.succeeded', { environment: 'production', sha: 'm1' }),
      { status: 'in_review', references: [byLink] },
      'done',
    ],
    [
      'deployment.succeeded in staging',
      event('deployment.succeeded', { environment: 'staging', sha: 'm1' }),
      { status: 'in_review', references: [byLink] },
      undefined,
    ],
    ['pr.closed', event('pr.closed', { pr: pr() }), { status: 'in_review' }, undefined],
  ])('%s', (_name, evt, story, expected) => {
    expect(statusAfter(evt, story)).toBe(expected);
  });

  it('pipeline.failed labels ci-failing and pipeline.succeeded removes it', () => {
    const pipeline = { id: '9', status: 'failure' };
    const failed = planEvent(
      input(event('pipeline.failed', { branch: BRANCH, pipeline }), {
        status: 'in_progress',
        fields: { labels: ['api'] },
      }),
    );
    expect(failed.changes).toEqual([
      { story: 'INT-003', field: 'labels', before: ['api'], after: ['api', 'ci-failing'] },
    ]);
    const succeeded = planEvent(
      input(event('pipeline.succeeded', { branch: BRANCH, pipeline }), {
        status: 'in_progress',
        fields: { labels: ['api', 'ci-failing'] },
      }),
    );
    expect(succeeded.changes).toEqual([
      { story: 'INT-003', field: 'labels', before: ['api', 'ci-failing'], after: ['api'] },
    ]);
    const clean = planEvent(
      input(event('pipeline.succeeded', { branch: BRANCH, pipeline }), { status: 'in_progress' }),
    );
    expect(clean.changes).toEqual([]);
    expect(clean.steps[0]?.skipped).toBe('not labelled ci-failing');
  });
});

describe('forward only', () => {
  it.each([
    ['done', 'automation does not move a story back from done to in_progress'],
    ['in_review', 'automation does not move a story back from in_review to in_progress'],
    ['in_progress', 'already in_progress'],
    ['blocked', 'blocked is outside the workflow order; automation leaves it'],
    ['cancelled', 'cancelled is outside the workflow order; automation leaves it'],
  ])('a push leaves a %s story and says why', (status, reason) => {
    const plan = planEvent(input(event('push', { branch: BRANCH }), { status }));
    expect(plan.changes).toEqual([]);
    expect(plan.steps).toEqual([
      {
        story: 'INT-003',
        rule: 'default: branch created or pushed → in_progress',
        action: 'transition to in_progress',
        because: BRANCH,
        skipped: reason,
      },
    ]);
  });

  it('force moves backwards, and out of blocked', () => {
    const rules: Rule[] = [
      { name: 'reopen', on: ['pr.closed'], then: [{ transition: 'in_progress', force: true }] },
    ];
    for (const status of ['done', 'blocked']) {
      const plan = planEvent(input(event('pr.closed', { pr: pr() }), { status }, rules));
      expect(plan.changes).toEqual([
        { story: 'INT-003', field: 'status', before: status, after: 'in_progress' },
      ]);
      expect(plan.steps[0]?.action).toBe('transition to in_progress (forced)');
    }
  });

  it('a transition to a status the workflow lacks is skipped', () => {
    const rules: Rule[] = [{ name: 'odd', on: ['push'], then: [{ transition: 'shipped' }] }];
    const plan = planEvent(input(event('push', { branch: BRANCH }), {}, rules));
    expect(plan.changes).toEqual([]);
    expect(plan.steps[0]?.skipped).toBe('"shipped" is not a status of the workflow');
  });
});

describe('several actions', () => {
  it('accumulate into one change per field, from the value before the event', () => {
    const rules: Rule[] = [
      {
        name: 'first',
        on: ['pr.opened'],
        then: [{ transition: 'in_progress' }, { addLabel: 'review' }, { set: { owner: 'ann' } }],
      },
      {
        name: 'second',
        on: ['pr.opened'],
        then: [{ transition: 'in_review' }, { addLabel: 'api' }, { set: { owner: 'bob' } }],
      },
    ];
    const plan = planEvent(
      input(event('pr.opened', { pr: pr() }), { fields: { owner: 'zed', labels: ['x'] } }, rules),
    );
    expect(plan.changes).toEqual(
      expect.arrayContaining([
        { story: 'INT-003', field: 'status', before: 'draft', after: 'in_review' },
        { story: 'INT-003', field: 'labels', before: ['x'], after: ['x', 'review', 'api'] },
        { story: 'INT-003', field: 'owner', before: 'zed', after: 'bob' },
      ]),
    );
    expect(plan.changes).toHaveLength(3);
    expect(plan.steps.map((step) => `${step.rule}: ${step.action}`)).toEqual([
      'first: transition to in_progress',
      'first: add label review',
      'first: set owner',
      'second: transition to in_review',
      'second: add label api',
      'second: set owner',
    ]);
  });

  it('actions that cancel out change nothing; a set to the same value is skipped', () => {
    const rules: Rule[] = [
      {
        name: 'churn',
        on: ['push'],
        then: [{ addLabel: 'tmp' }, { removeLabel: 'tmp' }, { set: { owner: 'ann' } }],
      },
    ];
    const plan = planEvent(
      input(event('push', { branch: BRANCH }), { fields: { owner: 'ann' } }, rules),
    );
    expect(plan.changes).toEqual([]);
    expect(plan.steps.map((step) => step.skipped)).toEqual([undefined, undefined, 'already set']);
  });

  it('a new field is a change from null; labels added to a story without any', () => {
    const rules: Rule[] = [
      { name: 'tag', on: ['push'], then: [{ set: { team: 'core' } }, { addLabel: 'wip' }] },
    ];
    const plan = planEvent(input(event('push', { branch: BRANCH }), {}, rules));
    expect(plan.changes).toEqual([
      { story: 'INT-003', field: 'team', before: null, after: 'core' },
      { story: 'INT-003', field: 'labels', before: null, after: ['wip'] },
    ]);
  });

  it('comments are collected, with their rule, and change no field', () => {
    const rules: Rule[] = [
      { name: 'note', on: ['pr.merged'], then: [{ comment: 'Merged, thanks' }] },
    ];
    const plan = planEvent(input(event('pr.merged', { pr: pr() }), {}, rules));
    expect(plan.changes).toEqual([]);
    expect(plan.comments).toEqual([{ story: 'INT-003', text: 'Merged, thanks', rule: 'note' }]);
    expect(plan.steps).toEqual([
      { story: 'INT-003', rule: 'note', action: 'comment', because: BRANCH },
    ]);
  });

  it('each story named is planned on its own, with the references as the reason', () => {
    const base = input(event('pr.opened', { pr: pr() }), { status: 'in_progress' });
    const other = {
      story: { id: 'INT-004', status: 'done', fields: { id: 'INT-004', status: 'done' } },
      references: [closes, mentions],
    };
    const plan = planEvent({ ...base, stories: [...(base.stories ?? []), other] });
    expect(plan.changes).toEqual([
      { story: 'INT-003', field: 'status', before: 'in_progress', after: 'in_review' },
    ]);
    expect(plan.steps.find((step) => step.story === 'INT-004')).toMatchObject({
      because: 'Closes INT-003; INT-003',
      skipped: 'automation does not move a story back from done to in_review',
    });
  });

  it('rules for other kinds do nothing and record no step', () => {
    const plan = planEvent(input(event('release.published', { tag: 'v1' })));
    expect(plan).toEqual({ changes: [], comments: [], steps: [] });
  });
});
