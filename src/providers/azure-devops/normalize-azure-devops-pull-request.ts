// Azure DevOps `git.pullrequest.created`, `git.pullrequest.updated`, `git.pullrequest.merged`.

import type {
  NormalizedEventKind,
  NormalizedPullRequest,
} from '../../domain/events/normalized-event.js';
import { type AdapterResult, ignored } from '../adapter-result.js';
import { booleanAt, objectAt, positiveIntegerAt, stringAt, textAt } from '../payload-fields.js';
import { pullRequestEvent, pullRequestFrom } from '../pull-request-event.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { branchOfRef, gitRepositoryBase, NO_REPOSITORY } from './azure-devops-event-base.js';

/**
 * By event and `resource.status`:
 * - created → pr.opened (isDraft kept);
 * - updated, status active → pr.updated (new commits, reviewers, votes, title: Azure DevOps
 *   sends one event type for all of them);
 * - updated or merged, status completed → pr.merged (sha = lastMergeCommit.commitId). Azure
 *   DevOps completes a pull request by merging it, so "completed" is merged;
 * - updated, status abandoned → pr.closed;
 * - merged, status active → ignored: Azure DevOps merges an open pull request on trial (even
 *   the created example has a lastMergeCommit and "Merge status: Succeeded"), which lands nothing.
 * `branch` is the source branch, `sha` lastMergeSourceCommit.commitId except for pr.merged, `url`
 * the pull request's web page (repository.remoteUrl + /pullrequest/<id>).
 */
export function normalizeAzureDevopsPullRequest(event: string, payload: unknown): AdapterResult {
  const resource = objectAt(payload, 'resource');
  const base = gitRepositoryBase(objectAt(resource, 'repository'));
  if (!base) return ignored(NO_REPOSITORY);
  const status = stringAt(resource, 'status') ?? 'unknown';
  const decision = pullRequestKind(event, status);
  if ('reason' in decision) return ignored(decision.reason);
  const { kind } = decision;
  const pr = pullRequest(resource);
  if (!pr) {
    return ignored('pull request payload lacks pullRequestId, sourceRefName or targetRefName');
  }
  const sha =
    kind === 'pr.merged'
      ? (stringAt(resource, 'lastMergeCommit', 'commitId') ??
        stringAt(resource, 'lastMergeSourceCommit', 'commitId'))
      : stringAt(resource, 'lastMergeSourceCommit', 'commitId');
  const closed = kind === 'pr.merged' || kind === 'pr.closed';
  return pullRequestEvent({
    kind,
    base,
    pr,
    sha,
    actor:
      stringAt(resource, closed ? 'closedBy' : 'createdBy', 'uniqueName') ??
      stringAt(resource, 'createdBy', 'uniqueName'),
    occurredAt:
      (closed ? toIsoTimestamp(stringAt(resource, 'closedDate')) : undefined) ??
      toIsoTimestamp(stringAt(resource, 'creationDate')),
  });
}

type KindDecision = { kind: NormalizedEventKind } | { reason: string };

function pullRequestKind(event: string, status: string): KindDecision {
  if (event === 'git.pullrequest.created') return { kind: 'pr.opened' };
  if (status === 'completed') return { kind: 'pr.merged' };
  if (event === 'git.pullrequest.merged') {
    return {
      reason: `merge commit of a pull request that is "${status}" (a trial merge, nothing merged)`,
    };
  }
  if (status === 'active') return { kind: 'pr.updated' };
  if (status === 'abandoned') return { kind: 'pr.closed' };
  return { reason: `pull request status "${status}" is not tracked` };
}

function pullRequest(resource: unknown): NormalizedPullRequest | undefined {
  const number = positiveIntegerAt(resource, 'pullRequestId');
  const remoteUrl = stringAt(resource, 'repository', 'remoteUrl');
  return pullRequestFrom({
    number,
    source: branchOfRef(stringAt(resource, 'sourceRefName')),
    target: branchOfRef(stringAt(resource, 'targetRefName')),
    title: textAt(resource, 'title'),
    body: textAt(resource, 'description'),
    url:
      remoteUrl === undefined || number === undefined ? '' : `${remoteUrl}/pullrequest/${number}`,
    draft: booleanAt(resource, 'isDraft') === true,
  });
}
