// Gitea and Forgejo webhook deliveries → normalized events (the full table is in docs/events.md).

import { type AdapterResult, ignored } from '../adapter-result.js';
import { isObject } from '../payload-fields.js';
import {
  isForgejoActionRunEvent,
  normalizeForgejoActionRun,
} from './normalize-forgejo-action-run.js';
import { normalizeGiteaPullRequest } from './normalize-gitea-pull-request.js';
import { normalizeGiteaPush } from './normalize-gitea-push.js';
import { normalizeGiteaRefEvent } from './normalize-gitea-ref-event.js';
import { normalizeGiteaRelease } from './normalize-gitea-release.js';
import { normalizeGiteaStatus } from './normalize-gitea-status.js';
import { normalizeGiteaWorkflowRun } from './normalize-gitea-workflow-run.js';

/**
 * Translates one Gitea or Forgejo delivery (`event` = X-Forgejo-Event, else X-Gitea-Event;
 * `payload` = the parsed JSON body) into normalized events. Pure; never throws; anything it
 * cannot or need not map is `ignored` with a reason.
 *
 * | event                 | condition                        | normalized                      |
 * | --------------------- | -------------------------------- | ------------------------------- |
 * | `create` / `delete`   | ref_type branch                  | branch.created / branch.deleted |
 * | `create` / `delete`   | ref_type tag                     | ignored                         |
 * | `push`                | branch, before all zeros         | branch.created, push            |
 * | `push`                | branch, after all zeros          | branch.deleted                  |
 * | `push`                | branch, otherwise                | push (commits)                  |
 * | `push`                | refs/tags/* or other refs        | ignored                         |
 * | `pull_request`        | opened, reopened                 | pr.opened                       |
 * | `pull_request`        | edited, synchronized             | pr.updated                      |
 * | `pull_request`        | closed, merged                   | pr.merged (sha = merge commit)  |
 * | `pull_request`        | closed, not merged               | pr.closed                       |
 * | `release`             | published                        | release.published               |
 * | `status`              | pending / success / failure, error | pipeline.started / .succeeded / .failed |
 * | `workflow_run`        | requested, in_progress           | pipeline.started                |
 * | `workflow_run`        | completed: success / failure, cancelled | pipeline.succeeded / .failed |
 * | `action_run_failure`  | (Forgejo)                        | pipeline.failed                 |
 * | `action_run_success`, `action_run_recover` | (Forgejo)   | pipeline.succeeded              |
 * | anything else         |                                  | ignored                         |
 */
export function normalizeGiteaEvent(event: string, payload: unknown): AdapterResult {
  if (!isObject(payload)) return ignored('payload is not a JSON object');
  try {
    switch (event) {
      case 'create':
      case 'delete':
        return normalizeGiteaRefEvent(event, payload);
      case 'push':
        return normalizeGiteaPush(payload);
      case 'pull_request':
        return normalizeGiteaPullRequest(payload);
      case 'release':
        return normalizeGiteaRelease(payload);
      case 'status':
        return normalizeGiteaStatus(payload);
      case 'workflow_run':
        return normalizeGiteaWorkflowRun(payload);
      default:
        if (isForgejoActionRunEvent(event)) return normalizeForgejoActionRun(event, payload);
        return ignored(`Gitea event "${event}" is not tracked`);
    }
  } catch (error) {
    // The readers are defensive, so this is a bug; a signed delivery must still not crash a worker.
    return ignored(`payload could not be read: ${error instanceof Error ? error.message : error}`);
  }
}
