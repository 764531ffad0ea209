// The story workflow: which statuses exist and which moves between them are allowed.

export interface Workflow {
  /** Every status a story may have. */
  readonly statuses: readonly string[];
  /** Status given to a new story that names none. */
  readonly initial: string;
  /** The forward order automation follows (earlier → later). */
  readonly order: readonly string[];
  /** Allowed targets from each status. */
  readonly transitions: Readonly<Record<string, readonly string[]>>;
}

const ORDER = ['draft', 'ready', 'in_progress', 'in_review', 'done', 'accepted'] as const;

/**
 * The default workflow of DESIGN §1: draft → ready → in_progress → in_review → done →
 * accepted, plus blocked and cancelled from any open status. People may also step back
 * (review sends work back, a done story is reopened); automation only moves forward.
 */
export const DEFAULT_WORKFLOW: Workflow = freezeWorkflow({
  statuses: [...ORDER, 'blocked', 'cancelled'],
  initial: 'draft',
  order: [...ORDER],
  transitions: {
    draft: ['ready', 'in_progress', 'blocked', 'cancelled'],
    ready: ['draft', 'in_progress', 'blocked', 'cancelled'],
    in_progress: ['ready', 'in_review', 'done', 'blocked', 'cancelled'],
    in_review: ['in_progress', 'done', 'blocked', 'cancelled'],
    done: ['in_progress', 'accepted'],
    accepted: [],
    blocked: ['draft', 'ready', 'in_progress', 'in_review', 'cancelled'],
    cancelled: ['draft'],
  },
});

export function freezeWorkflow(workflow: Workflow): Workflow {
  return Object.freeze({
    statuses: Object.freeze([...workflow.statuses]),
    initial: workflow.initial,
    order: Object.freeze([...workflow.order]),
    transitions: Object.freeze(
      Object.fromEntries(
        Object.entries(workflow.transitions).map(([from, to]) => [from, Object.freeze([...to])]),
      ),
    ),
  });
}

/** Problems with a workflow definition, each naming the config key at fault. */
export function validateWorkflow(workflow: Workflow): { key: string; message: string }[] {
  const issues: { key: string; message: string }[] = [];
  const known = new Set(workflow.statuses);
  if (workflow.statuses.length === 0) {
    issues.push({ key: 'workflow.statuses', message: 'must list at least one status' });
  }
  if (known.size !== workflow.statuses.length) {
    issues.push({ key: 'workflow.statuses', message: 'lists a status twice' });
  }
  if (!known.has(workflow.initial)) {
    issues.push({ key: 'workflow.initial', message: `"${workflow.initial}" is not a status` });
  }
  workflow.order.forEach((status, index) => {
    if (!known.has(status)) {
      issues.push({ key: `workflow.order[${index}]`, message: `"${status}" is not a status` });
    }
  });
  for (const [from, targets] of Object.entries(workflow.transitions)) {
    if (!known.has(from)) {
      issues.push({ key: `workflow.transitions.${from}`, message: `"${from}" is not a status` });
    }
    targets.forEach((to, index) => {
      if (!known.has(to)) {
        issues.push({
          key: `workflow.transitions.${from}[${index}]`,
          message: `"${to}" is not a status`,
        });
      }
    });
  }
  return issues;
}

export function isKnownStatus(workflow: Workflow, status: string): boolean {
  return workflow.statuses.includes(status);
}

export function allowedTransitions(workflow: Workflow, from: string): readonly string[] {
  return workflow.transitions[from] ?? [];
}

export function canTransition(workflow: Workflow, from: string, to: string): boolean {
  return allowedTransitions(workflow, from).includes(to);
}
