// Whether a rule's conditions hold for one event and one story.
import { matchGlobExactCase, matchRepositoryGlob } from '../auth/match-repository-glob.js';
import { findMergedPullRequests } from '../references/find-merged-pull-requests.js';
import type { JsonValue } from '../story/json-value.js';
import type { EventReference, LinkedPullRequest, PlanInput, RuleConditions } from './rule.js';

/** Whether every condition but `pullRequests` holds (planEvent checks that one). */
export function matchesCondition(
  conditions: RuleConditions,
  input: PlanInput,
  story: { fields: Record<string, JsonValue>; references: EventReference[] },
): boolean {
  const { event } = input;
  if (
    conditions.repository !== undefined &&
    !matchRepositoryGlob(conditions.repository, event.repository)
  ) {
    return false;
  }
  const branch = event.pr?.source ?? event.branch;
  if (
    conditions.branch !== undefined &&
    (branch === undefined || !matchGlobExactCase(conditions.branch, branch))
  ) {
    return false;
  }
  const target = event.pr?.target;
  if (
    conditions.targetBranch !== undefined &&
    (target === undefined || !matchGlobExactCase(conditions.targetBranch, target))
  ) {
    return false;
  }
  if (conditions.defaultBranch !== undefined) {
    // An event on no known branch (a tag, a deployment without a ref) is on neither side.
    const onDefault = isOnDefaultBranch(input);
    if (onDefault === undefined || onDefault !== conditions.defaultBranch) return false;
  }
  if (
    conditions.environment !== undefined &&
    (event.environment === undefined ||
      !matchGlobExactCase(conditions.environment, event.environment))
  ) {
    return false;
  }
  if (conditions.draft !== undefined && (event.pr?.draft ?? false) !== conditions.draft)
    return false;
  if (conditions.labels !== undefined) {
    const labels = Array.isArray(story.fields.labels) ? story.fields.labels : [];
    if (!conditions.labels.every((label) => labels.includes(label))) return false;
  }
  if (
    conditions.status !== undefined &&
    !conditions.status.includes(story.fields.status as string)
  ) {
    return false;
  }
  // `pullRequests` is checked by planEvent, which says in a step which PRs the story waits for.
  return matchesReference(conditions.reference ?? 'any', story.references);
}

/**
 * The story's open PRs other than the event's own: a PR being merged is still open in the links
 * until this event has been applied, and so are the PRs a pushed merge commit names (their
 * `pr.merged` may come after the push).
 */
export function otherOpenPullRequests(
  input: Pick<PlanInput, 'event'>,
  open: readonly LinkedPullRequest[],
): LinkedPullRequest[] {
  const { event } = input;
  const own = new Set<string>(
    event.pr === undefined
      ? findMergedPullRequests(
          (event.commits ?? []).map((commit) => commit.message),
          event.repository,
        )
      : [String(event.pr.number)],
  );
  return open.filter((pr) => !(pr.repository === event.repository && own.has(pr.number)));
}

/**
 * PRs: the target branch; everything else: the event's branch. The event's own `defaultBranch`
 * wins over the configured names; `undefined` when the event is on no branch.
 */
export function isOnDefaultBranch(
  input: Pick<PlanInput, 'event' | 'defaultBranches'>,
): boolean | undefined {
  const { event } = input;
  const branch = event.pr?.target ?? event.branch;
  if (branch === undefined) return undefined;
  return isDefaultBranchName(branch, input);
}

/** Whether `branch` is the repository's default branch, by the event or the configured names. */
export function isDefaultBranchName(
  branch: string,
  input: Pick<PlanInput, 'event' | 'defaultBranches'>,
): boolean {
  if (input.event.defaultBranch !== undefined) return branch === input.event.defaultBranch;
  return input.defaultBranches.includes(branch);
}

function matchesReference(
  kind: NonNullable<RuleConditions['reference']>,
  references: EventReference[],
): boolean {
  const closes = references.some((reference) => reference.relation === 'closes');
  const branch = references.some((reference) => reference.source === 'branch');
  switch (kind) {
    case 'closes':
      return closes;
    case 'branch':
      return branch;
    case 'closes-or-branch':
      return closes || branch;
    default:
      return true;
  }
}
