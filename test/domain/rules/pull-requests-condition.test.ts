// The `pullRequests` condition: a story linked to several PRs (in one repository or several)
// moves to done on the last merge of its open PRs, or on the first.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, defaultRules } from '../../../src/domain/rules/default-rules.js';
import { planEvent } from '../../../src/domain/rules/plan-event.js';
import type { LinkedPullRequest, PlanInput, Rule } from '../../../src/domain/rules/rule.js';
import { validateRules } from '../../../src/domain/rules/validate-rules.js';
import { DEFAULT_WORKFLOW } from '../../../src/domain/story/workflow.js';
import { closes, event, input, pr, REPO } from './rule-test-helpers.js';

const merged = event('pr.merged', { pr: pr({ body: 'Closes INT-003' }), sha: 'a'.repeat(40) });
const closingPush = event('push', {
  branch: 'main',
  commits: [{ sha: 'b'.repeat(40), message: 'Closes INT-003', author: 'a' }],
});

function withOpen(
  base: PlanInput,
  open: LinkedPullRequest[],
  rules: readonly Rule[] = DEFAULT_RULES,
): PlanInput {
  return {
    ...base,
    rules,
    stories: base.stories.map((story) => ({ ...story, openPullRequests: open })),
  };
}

const statusAfter = (plan: ReturnType<typeof planEvent>) =>
  plan.changes.find((change) => change.field === 'status')?.after;

describe('pullRequests: last (the default rules)', () => {
  const story = { status: 'in_review', references: [closes] };

  it('a merge while another linked PR in another repository is open leaves the story, and says why', () => {
    const plan = planEvent(
      withOpen(input(merged, story), [{ repository: 'acme/api', number: '12' }]),
    );
    expect(statusAfter(plan)).toBeUndefined();
    expect(plan.steps).toContainEqual(
      expect.objectContaining({
        rule: 'default: merged into the default branch → done',
        skipped: 'waiting for its other open pull requests: acme/api#12',
      }),
    );
  });

  it('a merge while another PR of the same repository is open leaves the story too', () => {
    const plan = planEvent(withOpen(input(merged, story), [{ repository: REPO, number: '8' }]));
    expect(statusAfter(plan)).toBeUndefined();
  });

  it('the merge of the last open PR moves the story to done (its own link still reads open)', () => {
    const plan = planEvent(withOpen(input(merged, story), [{ repository: REPO, number: '7' }]));
    expect(statusAfter(plan)).toBe('done');
  });

  it('the same PR number in another repository is another PR', () => {
    const plan = planEvent(
      withOpen(input(merged, story), [{ repository: 'acme/api', number: '7' }]),
    );
    expect(statusAfter(plan)).toBeUndefined();
  });

  it('a story without linked PRs moves on the first closing merge or push, as before', () => {
    expect(statusAfter(planEvent(withOpen(input(merged, story), [])))).toBe('done');
    expect(statusAfter(planEvent(withOpen(input(closingPush, story), [])))).toBe('done');
  });

  it('a closing commit pushed to main waits for the story’s open PRs too', () => {
    const plan = planEvent(
      withOpen(input(closingPush, story), [{ repository: 'acme/api', number: '12' }]),
    );
    expect(statusAfter(plan)).toBeUndefined();
  });

  it('a pushed merge commit does not wait for the PR it merges, whose pr.merged may come later', () => {
    const mergePush = event('push', {
      branch: 'main',
      commits: [
        { sha: 'c'.repeat(40), message: 'Closes INT-003', author: 'a' },
        { sha: 'd'.repeat(40), message: 'Merge pull request #7 from acme/int-003', author: 'a' },
      ],
    });
    const story = { status: 'in_review', references: [closes] };
    expect(
      statusAfter(
        planEvent(withOpen(input(mergePush, story), [{ repository: REPO, number: '7' }])),
      ),
    ).toBe('done');
    expect(
      statusAfter(
        planEvent(
          withOpen(input(mergePush, story), [
            { repository: REPO, number: '7' },
            { repository: 'acme/api', number: '7' },
          ]),
        ),
      ),
    ).toBeUndefined();
  });

  it('other rules on the same event still apply', () => {
    const labelling: Rule = {
      name: 'label merged',
      on: ['pr.merged'],
      then: [{ addLabel: 'merged' }],
    };
    const plan = planEvent(
      withOpen(
        input(merged, story),
        [{ repository: 'acme/api', number: '12' }],
        [...DEFAULT_RULES, labelling],
      ),
    );
    expect(plan.changes.map((change) => change.field)).toEqual(['labels']);
  });
});

describe('pullRequests: first', () => {
  it('automation.pullRequests: first moves the story on the first merge', () => {
    const plan = planEvent(
      withOpen(
        input(merged, { status: 'in_review', references: [closes] }),
        [{ repository: 'acme/api', number: '12' }],
        defaultRules('first'),
      ),
    );
    expect(statusAfter(plan)).toBe('done');
  });

  it('defaultRules(first) changes only the pullRequests conditions', () => {
    const first = defaultRules('first');
    expect(first.map((rule) => rule.name)).toEqual(DEFAULT_RULES.map((rule) => rule.name));
    expect(first.filter((rule) => rule.if?.pullRequests === 'first')).toHaveLength(2);
    expect(first.some((rule) => rule.if?.pullRequests === 'last')).toBe(false);
    expect(defaultRules('last')).toBe(DEFAULT_RULES);
  });

  it('a rule may say pullRequests: first or last; anything else is refused, naming the key', () => {
    const rule = (pullRequests: unknown) => ({
      name: 'done',
      on: 'pr.merged',
      if: { pullRequests },
      then: [{ transition: 'done' }],
    });
    expect(
      validateRules([rule('last'), { ...rule('first'), name: 'other' }], DEFAULT_WORKFLOW).issues,
    ).toEqual([]);
    expect(validateRules([rule('all')], DEFAULT_WORKFLOW).issues[0]?.path).toBe(
      'rules[0].if.pullRequests',
    );
  });
});
