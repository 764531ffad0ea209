// Bitbucket webhook deliveries → normalized events (the full table is in docs/events.md).
// Cloud and Data Center use different event keys (repo:push vs repo:refs_changed,
// pullrequest:* vs pr:*), so the key alone says which flavour sent a delivery.

import { type AdapterResult, ignored } from '../adapter-result.js';
import { isObject } from '../payload-fields.js';
import { normalizeBitbucketCloudPullRequest } from './normalize-bitbucket-cloud-pull-request.js';
import { normalizeBitbucketCloudPush } from './normalize-bitbucket-cloud-push.js';
import { normalizeBitbucketCommitStatus } from './normalize-bitbucket-commit-status.js';
import { normalizeBitbucketDataCenterPullRequest } from './normalize-bitbucket-dc-pull-request.js';
import { normalizeBitbucketDataCenterPush } from './normalize-bitbucket-dc-push.js';

/**
 * Translates one Bitbucket delivery (`event` = the X-Event-Key header, `payload` = the parsed
 * JSON body) into normalized events. Pure; never throws.
 *
 * | X-Event-Key                                   | flavour     | normalized                          |
 * | --------------------------------------------- | ----------- | ----------------------------------- |
 * | `repo:push`                                   | Cloud       | per change: branch.created + push,  |
 * |                                               |             | push, branch.deleted; tags ignored  |
 * | `pullrequest:created` / `updated`             | Cloud       | pr.opened / pr.updated              |
 * | `pullrequest:fulfilled` / `rejected`          | Cloud       | pr.merged / pr.closed               |
 * | `pullrequest:approved`, comments, …           | Cloud       | ignored                             |
 * | `repo:commit_status_created` / `_updated`     | Cloud       | pipeline.started/.succeeded/.failed |
 * | `repo:refs_changed`                           | Data Center | as repo:push                        |
 * | `pr:opened`                                   | Data Center | pr.opened                           |
 * | `pr:from_ref_updated`, `pr:modified`          | Data Center | pr.updated                          |
 * | `pr:merged` / `pr:declined`, `pr:deleted`     | Data Center | pr.merged / pr.closed               |
 * | `diagnostics:ping`                            | Data Center | ignored, reason 'ping'              |
 * | anything else                                 |             | ignored                             |
 */
export function normalizeBitbucketEvent(event: string, payload: unknown): AdapterResult {
  if (event === 'diagnostics:ping') return ignored('ping');
  if (!isObject(payload)) return ignored('payload is not a JSON object');
  try {
    if (event === 'repo:push') return normalizeBitbucketCloudPush(payload);
    if (event === 'repo:commit_status_created' || event === 'repo:commit_status_updated') {
      return normalizeBitbucketCommitStatus(payload);
    }
    if (event.startsWith('pullrequest:')) return normalizeBitbucketCloudPullRequest(event, payload);
    if (event === 'repo:refs_changed') return normalizeBitbucketDataCenterPush(payload);
    if (event.startsWith('pr:')) return normalizeBitbucketDataCenterPullRequest(event, payload);
    return ignored(`Bitbucket event "${event}" is not tracked`);
  } catch (error) {
    // The readers are defensive, so this is a bug; a signed delivery must still not crash a worker.
    return ignored(`payload could not be read: ${error instanceof Error ? error.message : error}`);
  }
}
