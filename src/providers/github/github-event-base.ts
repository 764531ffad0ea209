// The fields every GitHub-derived event shares, read from the payload's repository and sender.

import { isRepositoryPath, type NormalizedEvent } from '../../domain/events/normalized-event.js';
import { idAt, stringAt } from '../payload-fields.js';

export type GithubEventBase = Pick<
  NormalizedEvent,
  'provider' | 'repository' | 'repositoryId' | 'defaultBranch' | 'actor'
>;

/**
 * `provider`, `repository` (repository.full_name), `repositoryId`, `defaultBranch` and `actor`
 * (sender.login), or undefined when the payload names no valid repository.
 */
export function githubEventBase(payload: unknown): GithubEventBase | undefined {
  const repository = stringAt(payload, 'repository', 'full_name');
  if (!isRepositoryPath(repository)) return undefined;
  return {
    provider: 'github',
    repository,
    repositoryId: idAt(payload, 'repository', 'id'),
    defaultBranch:
      stringAt(payload, 'repository', 'default_branch') ??
      stringAt(payload, 'repository', 'master_branch'),
    actor: stringAt(payload, 'sender', 'login'),
  };
}

export const NO_REPOSITORY = 'payload has no repository.full_name of the form owner/name';
