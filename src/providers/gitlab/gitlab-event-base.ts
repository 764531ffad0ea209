// The fields every GitLab-derived event shares, read from the payload's project and user.

import { isRepositoryPath, type NormalizedEvent } from '../../domain/events/normalized-event.js';
import { idAt, stringAt } from '../payload-fields.js';

export type GitlabEventBase = Pick<
  NormalizedEvent,
  'provider' | 'repository' | 'repositoryId' | 'defaultBranch' | 'actor'
>;

/**
 * `provider`, `repository` (project.path_with_namespace, e.g. `group/subgroup/project`),
 * `repositoryId` (project.id), `defaultBranch` (project.default_branch) and `actor`
 * (user.username, or user_username on push hooks), or undefined when the payload names no valid
 * project path.
 */
export function gitlabEventBase(payload: unknown): GitlabEventBase | undefined {
  const repository = stringAt(payload, 'project', 'path_with_namespace');
  if (!isRepositoryPath(repository)) return undefined;
  return {
    provider: 'gitlab',
    repository,
    repositoryId: idAt(payload, 'project', 'id') ?? idAt(payload, 'project_id'),
    defaultBranch: stringAt(payload, 'project', 'default_branch'),
    actor: stringAt(payload, 'user', 'username') ?? stringAt(payload, 'user_username'),
  };
}

export const NO_PROJECT = 'payload has no project.path_with_namespace of the form group/project';

/** Whether `sha` is the all-zero SHA GitLab uses for "no commit" (SHA-1 or SHA-256). */
export function isZeroSha(sha: string | undefined): boolean {
  return sha !== undefined && /^0+$/.test(sha);
}
