// Bitbucket Data Center `pr:*` events.

import type {
  NormalizedEventKind,
  NormalizedPullRequest,
} from '../../domain/events/normalized-event.js';
import { type AdapterResult, ignored } from '../adapter-result.js';
import {
  arrayAt,
  booleanAt,
  lookup,
  objectAt,
  positiveIntegerAt,
  stringAt,
  textAt,
} from '../payload-fields.js';
import { pullRequestEvent, pullRequestFrom } from '../pull-request-event.js';
import { bitbucketDataCenterEventBase, NO_DATA_CENTER_REPOSITORY } from './bitbucket-event-base.js';

const KIND_BY_EVENT: Readonly<Record<string, NormalizedEventKind>> = {
  'pr:opened': 'pr.opened',
  'pr:from_ref_updated': 'pr.updated',
  'pr:modified': 'pr.updated',
  'pr:merged': 'pr.merged',
  'pr:declined': 'pr.closed',
  'pr:deleted': 'pr.closed',
};

/**
 * opened → pr.opened (draft flag kept); from_ref_updated (new commits on the source branch) and
 * modified (title, description or target changed) → pr.updated; merged → pr.merged (sha =
 * properties.mergeCommit.id, else the source head, as after a fast-forward); declined and
 * deleted → pr.closed. Reviewer and comment events are ignored. The repository is the target's
 * (`toRef.repository`); `branch` is the source branch and `sha` its head; occurredAt is `date`.
 */
export function normalizeBitbucketDataCenterPullRequest(
  event: string,
  payload: unknown,
): AdapterResult {
  const kind = lookup(KIND_BY_EVENT, event);
  if (kind === undefined) return ignored(`Bitbucket event "${event}" is not tracked`);
  const base = bitbucketDataCenterEventBase(payload, ['pullRequest', 'toRef', 'repository']);
  if (!base) return ignored(NO_DATA_CENTER_REPOSITORY);
  const pullRequest = objectAt(payload, 'pullRequest');
  const pr = pullRequest && dataCenterPullRequest(pullRequest);
  if (!pr) return ignored(`${event} payload lacks pullRequest.id, fromRef or toRef`);
  const head = stringAt(pullRequest, 'fromRef', 'latestCommit');
  const sha =
    kind === 'pr.merged'
      ? (stringAt(pullRequest, 'properties', 'mergeCommit', 'id') ?? head)
      : head;
  return pullRequestEvent({ kind, base, pr, sha });
}

function dataCenterPullRequest(pullRequest: unknown): NormalizedPullRequest | undefined {
  return pullRequestFrom({
    number: positiveIntegerAt(pullRequest, 'id'),
    source: refName(objectAt(pullRequest, 'fromRef')),
    target: refName(objectAt(pullRequest, 'toRef')),
    title: textAt(pullRequest, 'title'),
    body: textAt(pullRequest, 'description'),
    url: stringAt(arrayAt(pullRequest, 'links', 'self')[0], 'href') ?? '',
    draft: booleanAt(pullRequest, 'draft') === true,
  });
}

/** `refs/heads/feature/x` → `feature/x`; any other ref by its displayId. */
function refName(ref: unknown): string | undefined {
  const id = stringAt(ref, 'id');
  if (id?.startsWith('refs/heads/') && id.length > 'refs/heads/'.length) {
    return id.slice('refs/heads/'.length);
  }
  return stringAt(ref, 'displayId');
}
