// Bitbucket Cloud `repo:commit_status_created` / `repo:commit_status_updated`: the build
// statuses CI systems (Bitbucket Pipelines among them) set on a commit.

import type { NormalizedEventKind } from '../../domain/events/normalized-event.js';
import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { lookup, objectAt, stringAt, withoutUndefined } from '../payload-fields.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { bitbucketCloudEventBase, NO_CLOUD_REPOSITORY } from './bitbucket-event-base.js';

const KIND_BY_STATE: Readonly<Record<string, NormalizedEventKind>> = {
  INPROGRESS: 'pipeline.started',
  SUCCESSFUL: 'pipeline.succeeded',
  FAILED: 'pipeline.failed',
  STOPPED: 'pipeline.failed',
};

const COMMIT_IN_URL = /\/commit\/([0-9a-fA-F]{7,64})(?:[/?#]|$)/;

/**
 * By commit_status.state: INPROGRESS → pipeline.started; SUCCESSFUL → pipeline.succeeded;
 * FAILED and STOPPED → pipeline.failed (as a cancelled run elsewhere: the commit was not shown
 * good; pipeline.status keeps the word). `sha` is commit_status.commit.hash, else read from
 * links.commit.href (the documentation's example has only the link); `branch` is `refname`
 * when the CI system set it. A status is one per commit and key, so pipeline.id is
 * `<key>@<sha>`; occurredAt is updated_on. A status carries no deployment environment, so no
 * deployment event comes from Bitbucket (see docs/webhooks.md).
 */
export function normalizeBitbucketCommitStatus(payload: unknown): AdapterResult {
  const base = bitbucketCloudEventBase(payload);
  if (!base) return ignored(NO_CLOUD_REPOSITORY);
  const status = objectAt(payload, 'commit_status');
  const state = stringAt(status, 'state');
  const key = stringAt(status, 'key');
  if (!status || state === undefined || key === undefined) {
    return ignored('commit status payload lacks commit_status.state or .key');
  }
  const kind = lookup(KIND_BY_STATE, state);
  if (kind === undefined) return ignored(`commit status state "${state}" is not tracked`);
  const sha =
    stringAt(status, 'commit', 'hash') ??
    COMMIT_IN_URL.exec(stringAt(status, 'links', 'commit', 'href') ?? '')?.[1];
  if (sha === undefined) return ignored('commit status payload names no commit');
  const url = stringAt(status, 'url');
  return emitted(
    withoutUndefined({
      kind,
      ...base,
      branch: stringAt(status, 'refname'),
      sha,
      pipeline: withoutUndefined({
        id: `${key}@${sha}`,
        name: stringAt(status, 'name'),
        url,
        status: state,
      }),
      url,
      occurredAt: toIsoTimestamp(status.updated_on) ?? toIsoTimestamp(status.created_on),
    }),
  );
}
