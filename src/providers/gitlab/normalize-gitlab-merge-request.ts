// GitLab Merge Request Hook.

import type {
  NormalizedEventKind,
  NormalizedPullRequest,
} from '../../domain/events/normalized-event.js';
import { type AdapterResult, ignored } from '../adapter-result.js';
import { booleanAt, objectAt, positiveIntegerAt, stringAt, textAt } from '../payload-fields.js';
import { pullRequestEvent, pullRequestFrom } from '../pull-request-event.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { gitlabEventBase, NO_PROJECT } from './gitlab-event-base.js';

/** `changes` keys that make an update worth a pr.updated (what GitHub calls edited/synchronize). */
const TRACKED_CHANGES = [
  'title',
  'description',
  'source_branch',
  'target_branch',
  'draft',
  'work_in_progress',
];

/**
 * By object_attributes.action: open, reopen → pr.opened (draft kept); update → pr.ready when
 * `changes.draft` (or the older `changes.work_in_progress`) went true → false, pr.updated when
 * new commits arrived (`oldrev`) or title, description, branches or the draft flag changed,
 * ignored when only labels, assignees, reviewers, milestones, … changed; merge → pr.merged
 * (sha = merge_commit_sha, else squash_commit_sha, else last_commit.id — GitLab leaves the first
 * two empty for fast-forward merges, where the last commit is what lands); close → pr.closed.
 * approved, unapproved, approval, unapproval and unknown actions are ignored.
 * `branch` is the source branch, `sha` last_commit.id except for pr.merged.
 */
export function normalizeGitlabMergeRequest(payload: unknown): AdapterResult {
  const base = gitlabEventBase(payload);
  if (!base) return ignored(NO_PROJECT);
  const attributes = objectAt(payload, 'object_attributes');
  if (!attributes) return ignored('merge request payload has no object_attributes');
  const action = stringAt(attributes, 'action') ?? 'unknown';
  const decision = mergeRequestKind(action, payload);
  if ('reason' in decision) return ignored(decision.reason);
  const { kind } = decision;
  const pr = gitlabMergeRequest(attributes);
  if (!pr) return ignored('merge request payload lacks iid, source_branch or target_branch');
  const lastCommit = stringAt(attributes, 'last_commit', 'id');
  const sha =
    kind === 'pr.merged'
      ? (stringAt(attributes, 'merge_commit_sha') ??
        stringAt(attributes, 'squash_commit_sha') ??
        lastCommit)
      : lastCommit;
  return pullRequestEvent({
    kind,
    base,
    pr,
    sha,
    occurredAt: toIsoTimestamp(attributes.updated_at) ?? toIsoTimestamp(attributes.created_at),
  });
}

type KindDecision = { kind: NormalizedEventKind } | { reason: string };

function mergeRequestKind(action: string, payload: unknown): KindDecision {
  switch (action) {
    case 'open':
    case 'reopen':
      return { kind: 'pr.opened' };
    case 'merge':
      return { kind: 'pr.merged' };
    case 'close':
      return { kind: 'pr.closed' };
    case 'update':
      return updateKind(payload);
    default:
      return { reason: `merge request action "${action}" is not tracked` };
  }
}

function updateKind(payload: unknown): KindDecision {
  const changes = objectAt(payload, 'changes');
  const draft = objectAt(changes, 'draft') ?? objectAt(changes, 'work_in_progress');
  if (draft?.previous === true && draft.current === false) return { kind: 'pr.ready' };
  if (stringAt(payload, 'object_attributes', 'oldrev') !== undefined) return { kind: 'pr.updated' };
  if (!changes || TRACKED_CHANGES.some((key) => Object.hasOwn(changes, key))) {
    return { kind: 'pr.updated' };
  }
  const changed = Object.keys(changes).join(', ') || 'nothing';
  return { reason: `merge request update changes nothing tracked (${changed})` };
}

function gitlabMergeRequest(attributes: unknown): NormalizedPullRequest | undefined {
  return pullRequestFrom({
    number: positiveIntegerAt(attributes, 'iid'),
    source: stringAt(attributes, 'source_branch'),
    target: stringAt(attributes, 'target_branch'),
    title: textAt(attributes, 'title'),
    body: textAt(attributes, 'description'),
    url: textAt(attributes, 'url'),
    draft: (booleanAt(attributes, 'draft') ?? booleanAt(attributes, 'work_in_progress')) === true,
  });
}
