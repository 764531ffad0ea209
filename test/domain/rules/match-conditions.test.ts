import { describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../../src/domain/events/normalized-event.js';
import {
  isDefaultBranchName,
  isOnDefaultBranch,
  matchesCondition,
} from '../../../src/domain/rules/match-conditions.js';
import type { EventReference, RuleConditions } from '../../../src/domain/rules/rule.js';
import type { JsonValue } from '../../../src/domain/story/json-value.js';
import {
  BRANCH,
  byBranch,
  byLink,
  closes,
  event,
  input,
  mentions,
  pr,
} from './rule-test-helpers.js';

const push = event('push', { branch: BRANCH });
const opened = event('pr.opened', { pr: pr() });
const deployed = event('deployment.succeeded', { environment: 'production-eu', sha: 'm1' });

function matches(
  conditions: RuleConditions,
  evt: NormalizedEvent,
  story: { fields?: Record<string, JsonValue>; references?: EventReference[] } = {},
  defaultBranches: readonly string[] = ['main', 'master'],
): boolean {
  return matchesCondition(conditions, input(evt, {}, [], defaultBranches), {
    fields: { status: 'draft', ...story.fields },
    references: story.references ?? [byBranch],
  });
}

describe('matchesCondition', () => {
  it.each<[string, RuleConditions, NormalizedEvent, boolean]>([
    ['no conditions', {}, push, true],
    ['repository exact', { repository: 'acme/shop' }, push, true],
    ['repository glob', { repository: 'acme/*' }, push, true],
    ['repository case-insensitive', { repository: 'ACME/Shop' }, push, true],
    ['repository other', { repository: 'acme/web' }, push, false],
    [
      'repository deep glob',
      { repository: 'acme/**' },
      event('push', { repository: 'acme/a/b' }),
      true,
    ],
    [
      'repository one-level glob',
      { repository: 'acme/*' },
      event('push', { repository: 'acme/a/b' }),
      false,
    ],
    ['branch glob', { branch: 'feature/*' }, push, true],
    ['branch glob is case-sensitive', { branch: 'Feature/*' }, push, false],
    ['branch of a PR is its source', { branch: 'feature/**' }, opened, true],
    ['branch on an event without one', { branch: '*' }, deployed, false],
    ['targetBranch', { targetBranch: 'main' }, opened, true],
    [
      'targetBranch glob',
      { targetBranch: 'release/*' },
      event('pr.opened', { pr: pr({ target: 'release/2.0' }) }),
      true,
    ],
    ['targetBranch other', { targetBranch: 'develop' }, opened, false],
    ['targetBranch without a PR', { targetBranch: 'main' }, push, false],
    ['environment glob', { environment: 'production*' }, deployed, true],
    ['environment exact', { environment: 'production' }, deployed, false],
    ['environment without one', { environment: '*' }, push, false],
    ['draft false on a ready PR', { draft: false }, opened, true],
    ['draft true on a ready PR', { draft: true }, opened, false],
    [
      'draft true on a draft PR',
      { draft: true },
      event('pr.opened', { pr: pr({ draft: true }) }),
      true,
    ],
    ['draft false on an event without a PR', { draft: false }, push, true],
  ])('%s', (_name, conditions, evt, expected) => {
    expect(matches(conditions, evt)).toBe(expected);
  });

  it.each<[RuleConditions['reference'], EventReference[], boolean]>([
    ['closes', [closes], true],
    ['closes', [byBranch], false],
    ['closes', [mentions], false],
    ['branch', [byBranch], true],
    ['branch', [closes], false],
    ['branch', [byLink], false],
    ['closes-or-branch', [closes], true],
    ['closes-or-branch', [byBranch], true],
    ['closes-or-branch', [mentions, byLink], false],
    ['any', [mentions], true],
    [undefined, [byLink], true],
  ])('reference %s with %j → %s', (reference, references, expected) => {
    expect(matches(reference === undefined ? {} : { reference }, push, { references })).toBe(
      expected,
    );
  });

  it.each<[string, RuleConditions, Record<string, JsonValue>, boolean]>([
    ['every label present', { labels: ['api', 'ci'] }, { labels: ['ci', 'api', 'x'] }, true],
    ['a label missing', { labels: ['api', 'ci'] }, { labels: ['api'] }, false],
    ['no labels field', { labels: ['api'] }, {}, false],
    ['labels not a list', { labels: ['api'] }, { labels: 'api' }, false],
    ['status listed', { status: ['draft', 'ready'] }, { status: 'ready' }, true],
    ['status not listed', { status: ['draft', 'ready'] }, { status: 'done' }, false],
  ])('story %s', (_name, conditions, fields, expected) => {
    expect(matches(conditions, push, { fields })).toBe(expected);
  });

  it('every condition must hold', () => {
    const conditions: RuleConditions = {
      repository: 'acme/*',
      targetBranch: 'main',
      defaultBranch: true,
      draft: false,
      reference: 'closes',
    };
    expect(matches(conditions, opened, { references: [closes] })).toBe(true);
    expect(matches(conditions, opened, { references: [mentions] })).toBe(false);
    expect(
      matches({ ...conditions, repository: 'other/*' }, opened, { references: [closes] }),
    ).toBe(false);
  });
});

describe('defaultBranch', () => {
  it.each<[string, NormalizedEvent, readonly string[], boolean | undefined]>([
    ['a push to main', event('push', { branch: 'main' }), ['main', 'master'], true],
    ['a push to master', event('push', { branch: 'master' }), ['main', 'master'], true],
    ['a push to a story branch', event('push', { branch: BRANCH }), ['main'], false],
    ['a PR into main (the target counts)', opened, ['main'], true],
    [
      'a PR from main into a release branch',
      event('pr.opened', { pr: pr({ source: 'main', target: 'rel' }) }),
      ['main'],
      false,
    ],
    ['configured develop', event('push', { branch: 'develop' }), ['develop'], true],
    [
      'the event names its default branch',
      event('push', { branch: 'trunk', defaultBranch: 'trunk' }),
      ['main'],
      true,
    ],
    [
      'the event default wins over the list',
      event('push', { branch: 'main', defaultBranch: 'trunk' }),
      ['main'],
      false,
    ],
    ['no branch at all', deployed, ['main'], undefined],
  ])('%s', (_name, evt, defaultBranches, expected) => {
    expect(isOnDefaultBranch({ event: evt, defaultBranches })).toBe(expected);
    if (expected !== undefined) {
      expect(matches({ defaultBranch: true }, evt, {}, defaultBranches)).toBe(expected);
      expect(matches({ defaultBranch: false }, evt, {}, defaultBranches)).toBe(!expected);
    } else {
      // An event on no branch is on neither side.
      expect(matches({ defaultBranch: true }, evt, {}, defaultBranches)).toBe(false);
      expect(matches({ defaultBranch: false }, evt, {}, defaultBranches)).toBe(false);
    }
  });

  it('isDefaultBranchName follows the event, then the configuration', () => {
    expect(isDefaultBranchName('main', { event: push, defaultBranches: ['main'] })).toBe(true);
    expect(
      isDefaultBranchName('main', {
        event: event('push', { defaultBranch: 'trunk' }),
        defaultBranches: ['main'],
      }),
    ).toBe(false);
  });
});
