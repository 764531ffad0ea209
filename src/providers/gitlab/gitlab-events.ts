// GitLab webhook deliveries → normalized events (the full table is in docs/events.md).

import { type AdapterResult, ignored } from '../adapter-result.js';
import { isObject, lookup, stringAt } from '../payload-fields.js';
import { normalizeGitlabDeployment } from './normalize-gitlab-deployment.js';
import { normalizeGitlabMergeRequest } from './normalize-gitlab-merge-request.js';
import { normalizeGitlabPipeline } from './normalize-gitlab-pipeline.js';
import { normalizeGitlabPush } from './normalize-gitlab-push.js';
import { normalizeGitlabRelease } from './normalize-gitlab-release.js';

type Normalizer = (payload: unknown) => AdapterResult;

/** Each handled X-Gitlab-Event header, the object_kind its payload has, and its mapping. */
const HOOKS: Readonly<Record<string, { objectKind: string; normalize: Normalizer }>> = {
  'Push Hook': { objectKind: 'push', normalize: normalizeGitlabPush },
  'Tag Push Hook': {
    objectKind: 'tag_push',
    normalize: () => ignored('tag pushes are not tracked; a tag is tracked through its release'),
  },
  'Merge Request Hook': { objectKind: 'merge_request', normalize: normalizeGitlabMergeRequest },
  'Pipeline Hook': { objectKind: 'pipeline', normalize: normalizeGitlabPipeline },
  'Job Hook': {
    objectKind: 'build',
    normalize: () => ignored('job events are not tracked; Pipeline and Deployment Hooks are'),
  },
  'Deployment Hook': { objectKind: 'deployment', normalize: normalizeGitlabDeployment },
  'Release Hook': { objectKind: 'release', normalize: normalizeGitlabRelease },
};

/**
 * Translates one GitLab delivery (`event` = the X-Gitlab-Event header, e.g. 'Push Hook';
 * `payload` = the parsed JSON body) into normalized events. Pure: no I/O, no clock. Never
 * throws; anything it cannot or need not map is `ignored` with a reason.
 *
 * | X-Gitlab-Event     | condition                                   | normalized                  |
 * | ------------------ | ------------------------------------------- | --------------------------- |
 * | Push Hook          | `before` all zeros                          | branch.created, push        |
 * | Push Hook          | `after` all zeros                           | branch.deleted              |
 * | Push Hook          | otherwise                                   | push (commits)              |
 * | Tag Push Hook      |                                             | ignored                     |
 * | Merge Request Hook | open, reopen                                | pr.opened (draft kept)      |
 * | Merge Request Hook | update, draft true → false                  | pr.ready                    |
 * | Merge Request Hook | update, new commits / title, description,   | pr.updated                  |
 * |                    | branch or draft changed                     |                             |
 * | Merge Request Hook | update, only labels, assignees, … changed   | ignored                     |
 * | Merge Request Hook | merge                                       | pr.merged (merge sha)       |
 * | Merge Request Hook | close                                       | pr.closed                   |
 * | Merge Request Hook | approved, unapproved, approval, unapproval  | ignored                     |
 * | Pipeline Hook      | pending, running                            | pipeline.started            |
 * | Pipeline Hook      | success                                     | pipeline.succeeded          |
 * | Pipeline Hook      | failed, canceled                            | pipeline.failed             |
 * | Pipeline Hook      | created, manual, skipped, scheduled, …      | ignored                     |
 * | Job Hook           |                                             | ignored                     |
 * | Deployment Hook    | running                                     | deployment.started          |
 * | Deployment Hook    | success                                     | deployment.succeeded        |
 * | Deployment Hook    | failed, canceled                            | deployment.failed           |
 * | Release Hook       | create                                      | release.published           |
 * | Release Hook       | update, delete                              | ignored                     |
 * | System Hook        | object_kind push, tag_push, merge_request   | as the project hook         |
 * | anything else      |                                             | ignored                     |
 *
 * A payload whose object_kind contradicts the header is ignored. Every event carries provider
 * 'gitlab', repository (project.path_with_namespace), repositoryId (project.id),
 * defaultBranch and actor (user.username) when the payload has them.
 */
export function normalizeGitlabEvent(event: string, payload: unknown): AdapterResult {
  if (!isObject(payload)) return ignored('payload is not a JSON object');
  const objectKind = stringAt(payload, 'object_kind');
  const hookName = event === 'System Hook' ? systemHookEquivalent(objectKind) : event;
  const hook = hookName === undefined ? undefined : lookup(HOOKS, hookName);
  if (!hook) {
    return ignored(
      event === 'System Hook'
        ? `system hook object_kind "${objectKind ?? 'none'}" is not tracked`
        : `GitLab event "${event}" is not tracked`,
    );
  }
  if (objectKind !== undefined && objectKind !== hook.objectKind) {
    return ignored(`${event} payload has object_kind "${objectKind}"`);
  }
  try {
    return hook.normalize(payload);
  } catch (error) {
    // The readers are defensive, so this is a bug; a signed delivery must still not crash a worker.
    return ignored(`payload could not be read: ${error instanceof Error ? error.message : error}`);
  }
}

function systemHookEquivalent(objectKind: string | undefined): string | undefined {
  return Object.entries(HOOKS).find(
    ([name, hook]) =>
      hook.objectKind === objectKind &&
      (name === 'Push Hook' || name === 'Tag Push Hook' || name === 'Merge Request Hook'),
  )?.[0];
}
