// Gitea/Forgejo `pull_request` events.

import type {
  NormalizedEventKind,
  NormalizedPullRequest,
} from '../../domain/events/normalized-event.js';
import { type AdapterResult, ignored } from '../adapter-result.js';
import {
  booleanAt,
  lookup,
  objectAt,
  positiveIntegerAt,
  stringAt,
  textAt,
} from '../payload-fields.js';
import { pullRequestEvent, pullRequestFrom } from '../pull-request-event.js';
import { giteaEventBase, giteaTime, NO_REPOSITORY } from './gitea-event-base.js';

const KIND_BY_ACTION: Readonly<Record<string, NormalizedEventKind>> = {
  opened: 'pr.opened',
  reopened: 'pr.opened',
  edited: 'pr.updated',
  // New commits on the head branch (X-Gitea-Event-Type: pull_request_sync).
  synchronized: 'pr.updated',
};

// Gitea's default WORK_IN_PROGRESS_PREFIXES: a pull request whose title starts with one is a
// draft ("work in progress"), compared case-insensitively as Gitea does.
const WIP_PREFIXES = ['wip:', '[wip]'];

/**
 * opened/reopened → pr.opened; synchronized → pr.updated; edited → pr.ready when the edit took a
 * work-in-progress prefix off the title (changes.title.from had one, the title has none: how a
 * draft is marked ready on these forges), pr.updated otherwise; closed with
 * pull_request.merged → pr.merged (sha = merge_commit_sha); closed otherwise → pr.closed. The
 * actions the same X-Gitea-Event: pull_request carries for assignees, labels, milestones and
 * review requests (assigned, label_updated, milestoned, review_requested, …) are ignored.
 * `draft` is pull_request.draft where the forge sends it, else whether the title starts with
 * `WIP:` or `[WIP]`.
 */
export function normalizeGiteaPullRequest(payload: unknown): AdapterResult {
  const base = giteaEventBase(payload);
  if (!base) return ignored(NO_REPOSITORY);
  const action = stringAt(payload, 'action') ?? 'unknown';
  const pullRequest = objectAt(payload, 'pull_request');
  if (!pullRequest) return ignored('pull_request payload has no pull_request');

  const pr = giteaPullRequest(payload);
  const merged = action === 'closed' && booleanAt(pullRequest, 'merged') === true;
  let kind =
    action === 'closed' ? (merged ? 'pr.merged' : 'pr.closed') : lookup(KIND_BY_ACTION, action);
  if (kind === undefined) return ignored(`pull_request action "${action}" is not tracked`);
  if (!pr) return ignored('pull_request payload lacks number, head.ref or base.ref');
  if (
    action === 'edited' &&
    !pr.draft &&
    isWorkInProgress(stringAt(payload, 'changes', 'title', 'from'))
  ) {
    kind = 'pr.ready';
  }
  const sha = merged
    ? stringAt(pullRequest, 'merge_commit_sha')
    : stringAt(pullRequest, 'head', 'sha');
  const time = merged ? 'merged_at' : action === 'closed' ? 'closed_at' : 'updated_at';
  return pullRequestEvent({
    kind,
    base,
    pr,
    sha,
    occurredAt: giteaTime(pullRequest[time]) ?? giteaTime(pullRequest.updated_at),
  });
}

function giteaPullRequest(payload: unknown): NormalizedPullRequest | undefined {
  return pullRequestFrom({
    number:
      positiveIntegerAt(payload, 'pull_request', 'number') ?? positiveIntegerAt(payload, 'number'),
    source: stringAt(payload, 'pull_request', 'head', 'ref'),
    target: stringAt(payload, 'pull_request', 'base', 'ref'),
    title: textAt(payload, 'pull_request', 'title'),
    body: textAt(payload, 'pull_request', 'body'),
    url: textAt(payload, 'pull_request', 'html_url'),
    draft:
      booleanAt(payload, 'pull_request', 'draft') ??
      isWorkInProgress(stringAt(payload, 'pull_request', 'title')),
  });
}

function isWorkInProgress(title: string | undefined): boolean {
  const lower = title?.trimStart().toLowerCase() ?? '';
  return WIP_PREFIXES.some((prefix) => lower.startsWith(prefix));
}
