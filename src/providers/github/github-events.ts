// GitHub webhook deliveries → normalized events (the full table is in docs/events.md).

import { type AdapterResult, ignored } from '../adapter-result.js';
import { isObject } from '../payload-fields.js';
import { normalizeGithubCheckSuite } from './normalize-github-check-suite.js';
import { normalizeGithubDeployment } from './normalize-github-deployment.js';
import { normalizeGithubDeploymentStatus } from './normalize-github-deployment-status.js';
import { normalizeGithubPullRequest } from './normalize-github-pull-request.js';
import { normalizeGithubPush } from './normalize-github-push.js';
import { normalizeGithubRefEvent } from './normalize-github-ref-event.js';
import { normalizeGithubRelease } from './normalize-github-release.js';
import { normalizeGithubWorkflowRun } from './normalize-github-workflow-run.js';

/**
 * Translates one GitHub delivery (`event` = the X-GitHub-Event header, `payload` = the parsed
 * JSON body) into normalized events. Pure: no I/O, no clock. Never throws; anything it cannot
 * or need not map is `ignored` with a reason.
 *
 * | event               | condition                          | normalized                        |
 * | ------------------- | ---------------------------------- | --------------------------------- |
 * | `create`            | ref_type branch                    | branch.created                    |
 * | `delete`            | ref_type branch                    | branch.deleted                    |
 * | `create`/`delete`   | ref_type tag                       | ignored                           |
 * | `push`              | branch, `created: true`            | branch.created, push              |
 * | `push`              | branch, `deleted: true`            | branch.deleted                    |
 * | `push`              | branch, otherwise                  | push (commits)                    |
 * | `push`              | refs/tags/* or other refs          | ignored                           |
 * | `pull_request`      | opened, reopened                   | pr.opened (draft kept)            |
 * | `pull_request`      | edited, synchronize                | pr.updated                        |
 * | `pull_request`      | converted_to_draft                 | pr.updated (draft: true)          |
 * | `pull_request`      | ready_for_review                   | pr.ready                          |
 * | `pull_request`      | closed, merged                     | pr.merged (sha = merge commit)    |
 * | `pull_request`      | closed, not merged                 | pr.closed                         |
 * | `workflow_run`      | requested, in_progress             | pipeline.started                  |
 * | `workflow_run`      | completed: success                 | pipeline.succeeded                |
 * | `workflow_run`      | completed: failure, timed_out,     | pipeline.failed                   |
 * |                     | cancelled, startup_failure         |                                   |
 * | `workflow_run`      | completed: neutral, skipped,       | ignored (no verdict)              |
 * |                     | stale, action_required, none       |                                   |
 * | `check_suite`       | requested, rerequested             | pipeline.started                  |
 * | `check_suite`       | completed (as workflow_run)        | pipeline.succeeded / .failed      |
 * | `check_suite`       | app github-actions                 | ignored (workflow_run has it)     |
 * | `deployment`        | created                            | deployment.started                |
 * | `deployment_status` | pending, queued, in_progress       | deployment.started                |
 * | `deployment_status` | success                            | deployment.succeeded              |
 * | `deployment_status` | failure, error                     | deployment.failed                 |
 * | `deployment_status` | inactive                           | ignored (superseded)              |
 * | `release`           | published                          | release.published                 |
 * | `ping`              |                                    | ignored, reason 'ping'            |
 * | anything else       |                                    | ignored                           |
 *
 * Every event carries provider 'github', repository (full_name), repositoryId, defaultBranch
 * and actor (sender.login) when the payload has them.
 */
export function normalizeGithubEvent(event: string, payload: unknown): AdapterResult {
  if (event === 'ping') return ignored('ping');
  if (!isObject(payload)) return ignored('payload is not a JSON object');
  try {
    switch (event) {
      case 'create':
      case 'delete':
        return normalizeGithubRefEvent(event, payload);
      case 'push':
        return normalizeGithubPush(payload);
      case 'pull_request':
        return normalizeGithubPullRequest(payload);
      case 'workflow_run':
        return normalizeGithubWorkflowRun(payload);
      case 'check_suite':
        return normalizeGithubCheckSuite(payload);
      case 'deployment':
        return normalizeGithubDeployment(payload);
      case 'deployment_status':
        return normalizeGithubDeploymentStatus(payload);
      case 'release':
        return normalizeGithubRelease(payload);
      default:
        return ignored(`GitHub event "${event}" is not tracked`);
    }
  } catch (error) {
    // The readers are defensive, so this is a bug; a signed delivery must still not crash a worker.
    return ignored(`payload could not be read: ${error instanceof Error ? error.message : error}`);
  }
}
