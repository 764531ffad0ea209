// The rules engine: from one normalized event and the stories it names to the changes the
// rules call for. Pure: the caller loads the stories and applies the plan.
import { jsonEqual } from '../story/json-equal.js';
import type { JsonValue } from '../story/json-value.js';
import type { Workflow } from '../story/workflow.js';
import { matchesCondition, otherOpenPullRequests } from './match-conditions.js';
import type { PlanInput, RuleAction } from './rule.js';

export interface FieldChange {
  story: string;
  field: string;
  before: JsonValue | null;
  after: JsonValue | null;
}

export interface PlanStep {
  story: string;
  rule: string;
  action: string;
  /** The reference that named the story ("Closes INT-003" in the PR body, the branch, …). */
  because: string;
  /** Set when the action changed nothing, with the reason. */
  skipped?: string;
}

export interface Plan {
  changes: FieldChange[];
  comments: { story: string; text: string; rule: string }[];
  steps: PlanStep[];
}

/** How a step skipped by `pullRequests: last` starts its `skipped` (the PRs follow). */
export const WAITING_FOR_PULL_REQUESTS = 'waiting for its other open pull requests: ';

export function planEvent(input: PlanInput): Plan {
  const plan: Plan = { changes: [], comments: [], steps: [] };
  for (const { story, references, openPullRequests } of input.stories) {
    const fields: Record<string, JsonValue> = { ...story.fields, status: story.status };
    const because = references.map((reference) => reference.evidence).join('; ') || 'named';
    for (const rule of input.rules) {
      if (!rule.on.includes(input.event.kind as (typeof rule.on)[number])) continue;
      if (!matchesCondition(rule.if ?? {}, input, { fields, references })) continue;
      const waiting =
        rule.if?.pullRequests === 'last'
          ? otherOpenPullRequests(input, openPullRequests ?? [])
          : [];
      for (const action of rule.then) {
        const skipped =
          waiting.length > 0
            ? `${WAITING_FOR_PULL_REQUESTS}${waiting
                .map((pr) => `${pr.repository}#${pr.number}`)
                .join(', ')}`
            : applyAction(action, fields, input.workflow, plan, story.id, rule.name);
        plan.steps.push({
          story: story.id,
          rule: rule.name,
          action: describeAction(action),
          because,
          ...(skipped === undefined ? {} : { skipped }),
        });
      }
    }
    for (const [field, after] of Object.entries(fields)) {
      const before = field === 'status' ? story.status : (story.fields[field] ?? null);
      // A label added and removed again leaves an empty list where there was none: no change.
      const emptied = before === null && Array.isArray(after) && after.length === 0;
      if (!emptied && !jsonEqual(before ?? null, after ?? null)) {
        plan.changes.push({ story: story.id, field, before: before ?? null, after: after ?? null });
      }
    }
  }
  return plan;
}

/** Applies one action to the planned fields; answers why it changed nothing, if it did not. */
function applyAction(
  action: RuleAction,
  fields: Record<string, JsonValue>,
  workflow: Workflow,
  plan: Plan,
  storyId: string,
  rule: string,
): string | undefined {
  if ('transition' in action) {
    const current = fields.status as string;
    const target = action.transition;
    if (!workflow.statuses.includes(target)) return `"${target}" is not a status of the workflow`;
    if (current === target) return `already ${target}`;
    if (!action.force) {
      const from = workflow.order.indexOf(current);
      const to = workflow.order.indexOf(target);
      if (from === -1) return `${current} is outside the workflow order; automation leaves it`;
      if (to <= from) return `automation does not move a story back from ${current} to ${target}`;
    }
    fields.status = target;
    return undefined;
  }
  if ('set' in action) {
    let changed = false;
    for (const [field, value] of Object.entries(action.set)) {
      if (field === 'id') continue;
      if (!jsonEqual(fields[field] ?? null, value)) changed = true;
      fields[field] = value;
    }
    return changed ? undefined : 'already set';
  }
  if ('addLabel' in action || 'removeLabel' in action) {
    const labels = Array.isArray(fields.labels) ? (fields.labels as string[]) : [];
    if ('addLabel' in action) {
      if (labels.includes(action.addLabel)) return `already labelled ${action.addLabel}`;
      fields.labels = [...labels, action.addLabel];
    } else {
      if (!labels.includes(action.removeLabel)) return `not labelled ${action.removeLabel}`;
      fields.labels = labels.filter((label) => label !== action.removeLabel);
    }
    return undefined;
  }
  plan.comments.push({ story: storyId, text: action.comment, rule });
  return undefined;
}

export function describeAction(action: RuleAction): string {
  if ('transition' in action)
    return `transition to ${action.transition}${action.force ? ' (forced)' : ''}`;
  if ('set' in action) return `set ${Object.keys(action.set).join(', ')}`;
  if ('addLabel' in action) return `add label ${action.addLabel}`;
  if ('removeLabel' in action) return `remove label ${action.removeLabel}`;
  return 'comment';
}
