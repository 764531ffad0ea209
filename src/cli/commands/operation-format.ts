// How the CLI prints operations: one line per operation in lists, one line per change (with the
// rule and the reference behind it) in rollbacks and simulations.

export interface FieldChangeView {
  story: string;
  field: string;
  before: unknown;
  after: unknown;
}

export interface OperationView {
  id: string | null;
  status: 'applied' | 'rolled_back' | 'simulated';
  trigger: { kind: string; delivery?: string; rule?: string; operation?: string };
  changes: FieldChangeView[];
  steps?: { story: string; rule: string; action: string; because: string; skipped?: string }[];
  comments?: { story: string; text: string; rule: string }[];
  repository?: string | null;
  createdAt: string;
  rolledBackBy?: string | null;
}

export interface ConflictView {
  story: string;
  field: string;
  expected: unknown;
  actual: unknown;
}

/** The field name the API uses for a whole story created or deleted. */
const STORY_FIELD = '(story)';

/** A field value on one line: strings as they are, lists joined, nothing as `(none)`. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return `[${value.join(', ')}]`;
  }
  return JSON.stringify(value);
}

/** `INT-003 status: in_progress → in_review`, or `STORY-001 created` / `deleted`. */
export function formatChange(change: FieldChangeView): string {
  if (change.field === STORY_FIELD) {
    if (change.before === null) return `${change.story} created`;
    if (change.after === null) return `${change.story} deleted`;
    return `${change.story} replaced`;
  }
  return `${change.story} ${change.field}: ${formatValue(change.before)} → ${formatValue(change.after)}`;
}

export function formatConflict(conflict: ConflictView): string {
  const field = conflict.field === STORY_FIELD ? 'the story' : conflict.field;
  const now = conflict.actual === null ? '(gone)' : formatValue(conflict.actual);
  return conflict.field === STORY_FIELD
    ? `${conflict.story} ${field} changed since`
    : `${conflict.story} ${field}: left ${formatValue(conflict.expected)}, now ${now}`;
}

/** One line per operation: id, time, status, trigger, and what it changed. */
export function formatOperationLine(operation: OperationView): string {
  const status =
    operation.status === 'rolled_back' && operation.rolledBackBy
      ? `rolled_back (by ${operation.rolledBackBy})`
      : operation.status;
  const trigger =
    operation.trigger.kind === 'rollback' && operation.trigger.operation
      ? `rollback of ${operation.trigger.operation}`
      : operation.trigger.kind;
  const changes = operation.changes.map(formatChange);
  for (const comment of operation.comments ?? []) changes.push(`${comment.story} comment`);
  return `${operation.id ?? '-'}  ${operation.createdAt}  ${status}  ${trigger}  ${
    changes.join('; ') || '(no changes)'
  }`;
}

/** Every change of an operation with the rules and references behind it, then its comments. */
export function formatOperationDetail(operation: OperationView): string[] {
  const lines: string[] = [];
  const steps = operation.steps ?? [];
  for (const change of operation.changes) {
    const causes = steps.filter(
      (step) =>
        step.skipped === undefined &&
        (step.story === change.story || step.story.split(', ').includes(change.story)),
    );
    const rules = [...new Set(causes.map((step) => step.rule))].join(', ');
    const because = [...new Set(causes.map((step) => step.because))].join('; ');
    lines.push(
      `  ${formatChange(change)}${rules ? `  (rule: ${rules}${because ? `; because ${because}` : ''})` : ''}`,
    );
  }
  for (const comment of operation.comments ?? []) {
    lines.push(`  ${comment.story} comment: ${comment.text}  (rule: ${comment.rule})`);
  }
  for (const step of steps.filter((candidate) => candidate.skipped !== undefined)) {
    lines.push(`  skipped ${step.story}: ${step.rule}: ${step.action} — ${step.skipped}`);
  }
  return lines;
}
