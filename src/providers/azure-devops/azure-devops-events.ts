// Azure DevOps service hook events → normalized events (the full table is in docs/events.md).

import { type AdapterResult, ignored } from '../adapter-result.js';
import { isObject } from '../payload-fields.js';
import { normalizeAzureDevopsBuild } from './normalize-azure-devops-build.js';
import { normalizeAzureDevopsDeployment } from './normalize-azure-devops-deployment.js';
import { normalizeAzureDevopsPullRequest } from './normalize-azure-devops-pull-request.js';
import { normalizeAzureDevopsPush } from './normalize-azure-devops-push.js';

/**
 * Translates one Azure DevOps delivery (`event` = the body's eventType, `payload` = the parsed
 * body) into normalized events. Pure; never throws.
 *
 * | eventType                                  | condition                | normalized              |
 * | ------------------------------------------ | ------------------------ | ----------------------- |
 * | `git.push`                                 | per branch ref update    | branch.created?, push / |
 * |                                            |                          | branch.deleted          |
 * | `git.pullrequest.created`                  |                          | pr.opened               |
 * | `git.pullrequest.updated`                  | status active            | pr.updated              |
 * | `git.pullrequest.updated`, `.merged`       | status completed         | pr.merged               |
 * | `git.pullrequest.updated`                  | status abandoned         | pr.closed               |
 * | `git.pullrequest.merged`                   | status active            | ignored (trial merge)   |
 * | `build.complete`                           | succeeded                | pipeline.succeeded      |
 * | `build.complete`                           | failed, partially        | pipeline.failed         |
 * |                                            | succeeded, canceled      |                         |
 * | `ms.vss-release.deployment-started-event`  |                          | deployment.started      |
 * | `ms.vss-release.deployment-completed-event`| succeeded                | deployment.succeeded    |
 * | `ms.vss-release.deployment-completed-event`| rejected, canceled,      | deployment.failed       |
 * |                                            | partially succeeded      |                         |
 * | anything else                              |                          | ignored                 |
 */
export function normalizeAzureDevopsEvent(event: string, payload: unknown): AdapterResult {
  if (!isObject(payload)) return ignored('payload is not a JSON object');
  try {
    switch (event) {
      case 'git.push':
        return normalizeAzureDevopsPush(payload);
      case 'git.pullrequest.created':
      case 'git.pullrequest.updated':
      case 'git.pullrequest.merged':
        return normalizeAzureDevopsPullRequest(event, payload);
      case 'build.complete':
        return normalizeAzureDevopsBuild(payload);
      case 'ms.vss-release.deployment-started-event':
      case 'ms.vss-release.deployment-completed-event':
        return normalizeAzureDevopsDeployment(event, payload);
      case 'ms.vss-pipelines.run-state-changed-event':
        return ignored(
          'a run state change names no repository or commit; subscribe to build.complete, which every pipeline run also sends',
        );
      default:
        return ignored(`Azure DevOps event "${event}" is not tracked`);
    }
  } catch (error) {
    return ignored(`payload could not be read: ${error instanceof Error ? error.message : error}`);
  }
}
