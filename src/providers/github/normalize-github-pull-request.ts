// GitHub `pull_request` events.

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
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { githubEventBase, NO_REPOSITORY } from './github-event-base.js';

const KIND_BY_ACTION: Readonly<Record<string, NormalizedEventKind>> = {
  opened: 'pr.opened',
  reopened: 'pr.opened',
  edited: 'pr.updated',
  synchronize: 'pr.updated',
  converted_to_draft: 'pr.updated',
  ready_for_review: 'pr.ready',
};

/**
 * opened/reopened → pr.opened (draft flag kept); edited, synchronize and converted_to_draft →
 * pr.updated; ready_for_review → pr.ready; closed with `merged: true` → pr.merged (sha =
 * merge_commit_sha); closed otherwise → pr.closed. Other actions (labeled, assigned,
 * review_requested, …) are ignored. `branch` is the source (head) branch and `sha` its head
 * commit, except for pr.merged.
 */
export function normalizeGithubPullRequest(payload: unknown): AdapterResult {
  const base = githubEventBase(payload);
  if (!base) return ignored(NO_REPOSITORY);
  const action = stringAt(payload, 'action') ?? 'unknown';
  const pullRequest = objectAt(payload, 'pull_request');
  if (!pullRequest) return ignored('pull_request payload has no pull_request');

  const merged = action === 'closed' && booleanAt(pullRequest, 'merged') === true;
  const kind =
    action === 'closed' ? (merged ? 'pr.merged' : 'pr.closed') : lookup(KIND_BY_ACTION, action);
  if (kind === undefined) return ignored(`pull_request action "${action}" is not tracked`);

  const pr = githubPullRequest(payload);
  if (!pr) return ignored('pull_request payload lacks number, head.ref or base.ref');
  const sha = merged
    ? stringAt(pullRequest, 'merge_commit_sha')
    : stringAt(pullRequest, 'head', 'sha');
  const time = merged ? 'merged_at' : action === 'closed' ? 'closed_at' : 'updated_at';
  return pullRequestEvent({
    kind,
    base,
    pr,
    sha,
    occurredAt: toIsoTimestamp(pullRequest[time]) ?? toIsoTimestamp(pullRequest.updated_at),
  });
}

function githubPullRequest(payload: unknown): NormalizedPullRequest | undefined {
  return pullRequestFrom({
    number:
      positiveIntegerAt(payload, 'pull_request', 'number') ?? positiveIntegerAt(payload, 'number'),
    source: stringAt(payload, 'pull_request', 'head', 'ref'),
    target: stringAt(payload, 'pull_request', 'base', 'ref'),
    title: textAt(payload, 'pull_request', 'title'),
    body: textAt(payload, 'pull_request', 'body'),
    url: textAt(payload, 'pull_request', 'html_url'),
    draft: booleanAt(payload, 'pull_request', 'draft') === true,
  });
}
