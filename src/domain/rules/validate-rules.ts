// The schema of a rule (config file and PUT /rules) and the checks beyond its shape.
import { type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { NORMALIZED_EVENT_KINDS } from '../events/normalized-event.js';
import { validateStoryFields } from '../story/validate-story-fields.js';
import type { Workflow } from '../story/workflow.js';
import type { Rule } from './rule.js';

const Kind = Type.Union(NORMALIZED_EVENT_KINDS.map((kind) => Type.Literal(kind)));
const REFERENCES = ['closes', 'branch', 'closes-or-branch', 'any'] as const;

const ConditionsSchema = Type.Object(
  {
    repository: Type.Optional(Type.String({ minLength: 1 })),
    branch: Type.Optional(Type.String({ minLength: 1 })),
    targetBranch: Type.Optional(Type.String({ minLength: 1 })),
    defaultBranch: Type.Optional(Type.Boolean()),
    environment: Type.Optional(Type.String({ minLength: 1 })),
    draft: Type.Optional(Type.Boolean()),
    labels: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    status: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    reference: Type.Optional(Type.Union(REFERENCES.map((value) => Type.Literal(value)))),
    pullRequests: Type.Optional(
      Type.Union([Type.Literal('last'), Type.Literal('first')], {
        description:
          "a story linked to several PRs: 'last' moves it when none of its other PRs is open, 'first' on the first merge",
      }),
    ),
  },
  { additionalProperties: false },
);

/** Each action, by the key that names it. */
const ACTION_SCHEMAS = {
  transition: Type.Object(
    { transition: Type.String({ minLength: 1 }), force: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
  set: Type.Object(
    { set: Type.Record(Type.String(), Type.Unknown()) },
    { additionalProperties: false },
  ),
  addLabel: Type.Object(
    { addLabel: Type.String({ minLength: 1 }) },
    { additionalProperties: false },
  ),
  removeLabel: Type.Object(
    { removeLabel: Type.String({ minLength: 1 }) },
    { additionalProperties: false },
  ),
  comment: Type.Object({ comment: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
} as const;
const ACTION_KEYS = Object.keys(ACTION_SCHEMAS) as (keyof typeof ACTION_SCHEMAS)[];

export const RuleSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    on: Type.Union([Kind, Type.Array(Kind, { minItems: 1 })], {
      description: 'Event kind(s) the rule reacts to',
    }),
    if: Type.Optional(ConditionsSchema),
    then: Type.Array(Type.Union(Object.values(ACTION_SCHEMAS)), { minItems: 1 }),
  },
  { additionalProperties: false, $id: 'Rule' },
);

/** Fields a rule may not `set`: the id, the status (use transition), and the JSON-only keys. */
const UNSETTABLE = ['id', 'status', 'version', 'body'];

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
  if (!Array.isArray(input)) {
    return {
      rules: [],
      issues: [{ path: 'rules', rule: null, message: 'must be a list of rules' }],
    };
  }
  const issues: RuleIssue[] = [];
  const rules: Rule[] = [];
  const names = new Set<string>();
  input.forEach((candidate: unknown, index) => {
    const at = `rules[${index}]`;
    const found = checkShape(candidate, at);
    const record = candidate as Record<string, unknown> | null;
    const name =
      typeof record === 'object' && record !== null && typeof record.name === 'string'
        ? record.name
        : null;
    issues.push(...found.map((issue) => ({ ...issue, rule: name })));
    if (found.length > 0) return;

    const raw = candidate as Omit<Rule, 'on'> & { on: Rule['on'] | Rule['on'][number] };
    const rule: Rule = { ...raw, on: Array.isArray(raw.on) ? raw.on : [raw.on] };
    const issue = (path: string, message: string) =>
      issues.push({ path: `${at}${path}`, rule: rule.name, message });
    if (names.has(rule.name)) issue('.name', 'another rule has this name');
    names.add(rule.name);
    rule.then.forEach((action, actionIndex) => {
      const path = `.then[${actionIndex}]`;
      if ('transition' in action && !workflow.statuses.includes(action.transition)) {
        issue(`${path}.transition`, `"${action.transition}" is not a status of the workflow`);
      }
      if ('set' in action) {
        for (const field of UNSETTABLE.filter((key) => Object.hasOwn(action.set, key))) {
          issue(
            `${path}.set.${field}`,
            field === 'status' ? 'cannot set status (use transition)' : `cannot set ${field}`,
          );
        }
        const fields = { title: 'rule', ...action.set, id: 'RULE-1' };
        for (const { field, message } of validateStoryFields(fields as never)) {
          if (
            field !== undefined &&
            Object.hasOwn(action.set, field) &&
            !UNSETTABLE.includes(field)
          )
            issue(`${path}.set.${field}`, message);
        }
      }
    });
    (rule.if?.status ?? []).forEach((status, statusIndex) => {
      if (!workflow.statuses.includes(status)) {
        issue(`.if.status[${statusIndex}]`, `"${status}" is not a status of the workflow`);
      }
    });
    rules.push(rule);
  });
  return { rules, issues };
}

type ShapeIssue = Omit<RuleIssue, 'rule'>;

/** Every problem with the shape of one rule, each naming the key at fault. */
function checkShape(candidate: unknown, at: string): ShapeIssue[] {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    return [{ path: at, message: 'must be a mapping with name, on and then' }];
  }
  const rule = candidate as Record<string, unknown>;
  const issues: ShapeIssue[] = [];
  for (const key of Object.keys(rule)) {
    if (!['name', 'on', 'if', 'then'].includes(key)) {
      issues.push({ path: `${at}.${key}`, message: 'unknown key (a rule has name, on, if, then)' });
    }
  }
  if (typeof rule.name !== 'string' || rule.name.trim() === '') {
    issues.push({ path: `${at}.name`, message: 'must be a non-empty string' });
  }
  issues.push(...checkOn(rule.on, `${at}.on`));
  if (rule.if !== undefined) issues.push(...schemaIssues(ConditionsSchema, rule.if, `${at}.if`));
  if (!Array.isArray(rule.then) || rule.then.length === 0) {
    issues.push({ path: `${at}.then`, message: 'must be a non-empty list of actions' });
  } else {
    rule.then.forEach((action: unknown, index) => {
      issues.push(...checkAction(action, `${at}.then[${index}]`));
    });
  }
  return issues;
}

function checkOn(on: unknown, path: string): ShapeIssue[] {
  const kinds = NORMALIZED_EVENT_KINDS as readonly unknown[];
  const unknownKind = (value: unknown) =>
    `${JSON.stringify(value)} is not an event kind (${NORMALIZED_EVENT_KINDS.join(', ')})`;
  if (typeof on === 'string') return kinds.includes(on) ? [] : [{ path, message: unknownKind(on) }];
  if (!Array.isArray(on) || on.length === 0) {
    return [{ path, message: 'must be an event kind or a non-empty list of them' }];
  }
  return on.flatMap((kind: unknown, index) =>
    kinds.includes(kind) ? [] : [{ path: `${path}[${index}]`, message: unknownKind(kind) }],
  );
}

function checkAction(action: unknown, path: string): ShapeIssue[] {
  const keys =
    typeof action === 'object' && action !== null && !Array.isArray(action)
      ? ACTION_KEYS.filter((key) => Object.hasOwn(action, key))
      : [];
  const [key, ...others] = keys;
  if (key === undefined || others.length > 0) {
    return [
      {
        path,
        message: `an action has exactly one of ${ACTION_KEYS.join(', ')}${
          others.length > 0 ? ` (found ${keys.join(', ')})` : ''
        }`,
      },
    ];
  }
  return schemaIssues(ACTION_SCHEMAS[key], action, path);
}

/** Typebox errors as `path.key[0]` issues, one per location. */
function schemaIssues(schema: TSchema, value: unknown, at: string): ShapeIssue[] {
  const issues: ShapeIssue[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, value)) {
    const path = `${at}${error.path
      .split('/')
      .filter(Boolean)
      .map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`))
      .join('')}`;
    if (seen.has(path)) continue;
    seen.add(path);
    const message =
      error.path === '/reference'
        ? `must be one of ${REFERENCES.join(', ')}`
        : error.message === 'Unexpected property'
          ? 'unknown key'
          : error.message.charAt(0).toLowerCase() + error.message.slice(1);
    issues.push({ path, message });
  }
  return issues;
}
