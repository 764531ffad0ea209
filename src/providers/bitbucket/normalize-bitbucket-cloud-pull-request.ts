// Bitbucket Cloud `pullrequest:*` events.

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
import { bitbucketCloudEventBase, NO_CLOUD_REPOSITORY } from './bitbucket-event-base.js';

const KIND_BY_EVENT: Readonly<Record<string, NormalizedEventKind>> = {
  'pullrequest:created': 'pr.opened',
  'pullrequest:updated': 'pr.updated',
  'pullrequest:fulfilled': 'pr.merged',
  'pullrequest:rejected': 'pr.closed',
};

/**
 * created → pr.opened (draft flag kept); updated → pr.updated (Bitbucket does not say what
 * changed, so a draft marked ready is a pr.updated with `draft: false`); fulfilled → pr.merged
 * (sha = merge_commit.hash); rejected (declined) → pr.closed. Approvals, change requests and
 * comments are ignored. `branch` is the source branch and `sha` its head commit, except for
 * pr.merged. Bitbucket gives these commits as 12-character abbreviated hashes.
 */
export function normalizeBitbucketCloudPullRequest(event: string, payload: unknown): AdapterResult {
  const kind = lookup(KIND_BY_EVENT, event);
  if (kind === undefined) return ignored(`Bitbucket event "${event}" is not tracked`);
  const base = bitbucketCloudEventBase(payload);
  if (!base) return ignored(NO_CLOUD_REPOSITORY);
  const pullRequest = objectAt(payload, 'pullrequest');
  if (!pullRequest) return ignored(`${event} payload has no pullrequest`);
  const pr = cloudPullRequest(pullRequest);
  if (!pr) {
    return ignored(`${event} payload lacks id, source.branch.name or destination.branch.name`);
  }
  const sha =
    kind === 'pr.merged'
      ? stringAt(pullRequest, 'merge_commit', 'hash')
      : stringAt(pullRequest, 'source', 'commit', 'hash');
  return pullRequestEvent({
    kind,
    base,
    pr,
    sha,
    occurredAt: toIsoTimestamp(pullRequest.updated_on),
  });
}

function cloudPullRequest(pullRequest: unknown): NormalizedPullRequest | undefined {
  return pullRequestFrom({
    number: positiveIntegerAt(pullRequest, 'id'),
    source: stringAt(pullRequest, 'source', 'branch', 'name'),
    target: stringAt(pullRequest, 'destination', 'branch', 'name'),
    title: textAt(pullRequest, 'title'),
    body: textAt(pullRequest, 'description'),
    url: textAt(pullRequest, 'links', 'html', 'href'),
    draft: booleanAt(pullRequest, 'draft') === true,
  });
}
