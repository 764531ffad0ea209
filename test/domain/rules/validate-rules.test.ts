import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../../src/domain/rules/default-rules.js';
import { validateRules } from '../../../src/domain/rules/validate-rules.js';
import { DEFAULT_WORKFLOW } from '../../../src/domain/story/workflow.js';

const validate = (rules: unknown) => validateRules(rules, DEFAULT_WORKFLOW);
const ok = { name: 'ok', on: 'push', then: [{ addLabel: 'x' }] };

describe('validateRules', () => {
  it('accepts the default rules as they are', () => {
    const { rules, issues } = validate(structuredClone(DEFAULT_RULES));
    expect(issues).toEqual([]);
    expect(rules).toEqual(DEFAULT_RULES);
  });

  it('normalises `on` given as one string to a list', () => {
    const { rules, issues } = validate([
      ok,
      { name: 'list', on: ['pr.opened', 'pr.ready'], then: [{ transition: 'in_review' }] },
    ]);
    expect(issues).toEqual([]);
    expect(rules.map((rule) => rule.on)).toEqual([['push'], ['pr.opened', 'pr.ready']]);
  });

  it('needs a list', () => {
    expect(validate({ rules: [] }).issues).toEqual([
      { path: 'rules', rule: null, message: 'must be a list of rules' },
    ]);
  });

  it.each<[string, unknown, { path: string; message: RegExp | string }[]]>([
    ['not a mapping', 'push', [{ path: 'rules[1]', message: /must be a mapping/ }]],
    [
      'no name',
      { on: 'push', then: [{ addLabel: 'x' }] },
      [{ path: 'rules[1].name', message: /non-empty string/ }],
    ],
    ['an unknown key', { ...ok, when: 1 }, [{ path: 'rules[1].when', message: /unknown key/ }]],
    [
      'an unknown event kind',
      { ...ok, on: 'pushed' },
      [{ path: 'rules[1].on', message: /"pushed" is not an event kind/ }],
    ],
    [
      'an unknown kind in a list',
      { ...ok, on: ['push', 'merged'] },
      [{ path: 'rules[1].on[1]', message: /"merged" is not an event kind/ }],
    ],
    ['an empty `on`', { ...ok, on: [] }, [{ path: 'rules[1].on', message: /non-empty list/ }]],
    [
      'no actions',
      { ...ok, then: [] },
      [{ path: 'rules[1].then', message: /non-empty list of actions/ }],
    ],
    [
      'an unknown action',
      { ...ok, then: [{ addLabel: 'x' }, { assign: 'bob' }] },
      [{ path: 'rules[1].then[1]', message: /exactly one of transition, set/ }],
    ],
    [
      'two actions in one',
      { ...ok, then: [{ transition: 'done', comment: 'x' }] },
      [{ path: 'rules[1].then[0]', message: /found transition, comment/ }],
    ],
    [
      'a bad action value',
      { ...ok, then: [{ transition: 'done', force: 'yes' }] },
      [{ path: 'rules[1].then[0].force', message: /boolean/ }],
    ],
    [
      'an extra action key',
      { ...ok, then: [{ comment: 'hi', loud: true }] },
      [{ path: 'rules[1].then[0].loud', message: 'unknown key' }],
    ],
    [
      'an unknown condition',
      { ...ok, if: { author: 'bob' } },
      [{ path: 'rules[1].if.author', message: 'unknown key' }],
    ],
    [
      'a bad condition type',
      { ...ok, if: { draft: 'no' } },
      [{ path: 'rules[1].if.draft', message: /boolean/ }],
    ],
    [
      'a bad label list',
      { ...ok, if: { labels: ['a', 3] } },
      [{ path: 'rules[1].if.labels[1]', message: /string/ }],
    ],
    [
      'a bad reference',
      { ...ok, if: { reference: 'mentions' } },
      [
        {
          path: 'rules[1].if.reference',
          message: 'must be one of closes, branch, closes-or-branch, any',
        },
      ],
    ],
    [
      'an unknown transition status',
      { ...ok, then: [{ transition: 'shipped' }] },
      [
        {
          path: 'rules[1].then[0].transition',
          message: '"shipped" is not a status of the workflow',
        },
      ],
    ],
    [
      'an unknown status condition',
      { ...ok, if: { status: ['draft', 'todo'] } },
      [{ path: 'rules[1].if.status[1]', message: '"todo" is not a status of the workflow' }],
    ],
    [
      'set of status',
      { ...ok, then: [{ set: { status: 'done' } }] },
      [{ path: 'rules[1].then[0].set.status', message: 'cannot set status (use transition)' }],
    ],
    [
      'set of id',
      { ...ok, then: [{ set: { id: 'X-1', owner: 'bob' } }] },
      [{ path: 'rules[1].then[0].set.id', message: 'cannot set id' }],
    ],
    [
      'set of a value the story would refuse',
      { ...ok, then: [{ set: { labels: 'ci' } }] },
      [{ path: 'rules[1].then[0].set.labels', message: /labels must be a list of strings/ }],
    ],
  ])('names the rule and key at fault: %s', (_name, bad, expected) => {
    // The broken rule is named `bad` (unless it has no name), so only its own issue shows.
    const named =
      (bad as { name?: unknown } | null)?.name === 'ok' ? { ...(bad as object), name: 'bad' } : bad;
    const { issues } = validate([ok, named]);
    expect(issues).toHaveLength(expected.length);
    expected.forEach((want, index) => {
      const issue = issues[index];
      expect(issue?.path).toBe(want.path);
      if (typeof want.message === 'string') expect(issue?.message).toBe(want.message);
      else expect(issue?.message).toMatch(want.message);
    });
    const name = (named as { name?: unknown } | null)?.name;
    expect(issues[0]?.rule).toBe(typeof name === 'string' ? name : null);
  });

  it('refuses two rules with one name, naming the second', () => {
    expect(validate([ok, { ...ok, on: 'pr.opened' }]).issues).toEqual([
      { path: 'rules[1].name', rule: 'ok', message: 'another rule has this name' },
    ]);
  });

  it('reports every broken rule, not only the first', () => {
    const { issues } = validate([{ ...ok, on: 'x' }, ok, { ...ok, name: 'b', then: [] }]);
    expect(issues.map((issue) => issue.path)).toEqual(['rules[0].on', 'rules[2].then']);
  });

  it('a workflow with other statuses is what transitions are checked against', () => {
    const workflow = { ...DEFAULT_WORKFLOW, statuses: ['todo', 'doing', 'shipped'] };
    const rules = [{ name: 'ship', on: 'pr.merged', then: [{ transition: 'shipped' }] }];
    expect(validateRules(rules, workflow).issues).toEqual([]);
    expect(validateRules(rules, DEFAULT_WORKFLOW).issues).toHaveLength(1);
  });
});
