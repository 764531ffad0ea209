// The schema of a rule (config file and PUT /rules) and the checks beyond its shape.
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { NORMALIZED_EVENT_KINDS } from '../events/normalized-event.js';
import type { Workflow } from '../story/workflow.js';
import type { Rule } from './rule.js';

const Kind = Type.Union(NORMALIZED_EVENT_KINDS.map((kind) => Type.Literal(kind)));

export const RuleSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    on: Type.Union([Kind, Type.Array(Kind, { minItems: 1 })], {
      description: 'Event kind(s) the rule reacts to',
    }),
    if: Type.Optional(
      Type.Object(
        {
          repository: Type.Optional(Type.String({ minLength: 1 })),
          branch: Type.Optional(Type.String({ minLength: 1 })),
          targetBranch: Type.Optional(Type.String({ minLength: 1 })),
          defaultBranch: Type.Optional(Type.Boolean()),
          environment: Type.Optional(Type.String({ minLength: 1 })),
          draft: Type.Optional(Type.Boolean()),
          labels: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
          status: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
          reference: Type.Optional(
            Type.Union(
              ['closes', 'branch', 'closes-or-branch', 'any'].map((value) => Type.Literal(value)),
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    then: Type.Array(
      Type.Union([
        Type.Object(
          { transition: Type.String({ minLength: 1 }), force: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        Type.Object(
          { set: Type.Record(Type.String(), Type.Unknown()) },
          { additionalProperties: false },
        ),
        Type.Object({ addLabel: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        Type.Object(
          { removeLabel: Type.String({ minLength: 1 }) },
          { additionalProperties: false },
        ),
        Type.Object({ comment: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
      ]),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false, $id: 'Rule' },
);

export interface RuleIssue {
  /** `rules[2].then[0].transition` */
  path: string;
  rule: string | null;
  message: string;
}

/** Rules from untrusted input: `on` normalised to a list. Issues name the rule and the key. */
export function validateRules(
  input: unknown,
  workflow: Workflow,
): { rules: Rule[]; issues: RuleIssue[] } {
  const issues: RuleIssue[] = [];
  if (!Array.isArray(input)) {
    return {
      rules: [],
      issues: [{ path: 'rules', rule: null, message: 'must be a list of rules' }],
    };
  }
  const rules: Rule[] = [];
  const names = new Set<string>();
  input.forEach((candidate, index) => {
    const name =
      typeof candidate === 'object' && candidate !== null && typeof candidate.name === 'string'
        ? (candidate.name as string)
        : null;
    const first = Value.Errors(RuleSchema, candidate).First();
    if (first !== undefined) {
      const key = first.path.replace(/^\//, '').replaceAll('/', '.');
      issues.push({
        path: `rules[${index}]${key ? `.${key}` : ''}`,
        rule: name,
        message: first.message,
      });
      return;
    }
    const raw = candidate as Omit<Rule, 'on'> & { on: Rule['on'] | Rule['on'][number] };
    const rule: Rule = { ...raw, on: Array.isArray(raw.on) ? raw.on : [raw.on] };
    if (names.has(rule.name)) {
      issues.push({
        path: `rules[${index}].name`,
        rule: rule.name,
        message: 'another rule has this name',
      });
    }
    names.add(rule.name);
    rule.then.forEach((action, actionIndex) => {
      if ('transition' in action && !workflow.statuses.includes(action.transition)) {
        issues.push({
          path: `rules[${index}].then[${actionIndex}].transition`,
          rule: rule.name,
          message: `"${action.transition}" is not a status of the workflow`,
        });
      }
      if ('set' in action && ('id' in action.set || 'status' in action.set)) {
        issues.push({
          path: `rules[${index}].then[${actionIndex}].set`,
          rule: rule.name,
          message: 'cannot set id or status (use transition)',
        });
      }
    });
    for (const status of rule.if?.status ?? []) {
      if (!workflow.statuses.includes(status)) {
        issues.push({
          path: `rules[${index}].if.status`,
          rule: rule.name,
          message: `"${status}" is not a status`,
        });
      }
    }
    rules.push(rule);
  });
  return { rules, issues };
}
