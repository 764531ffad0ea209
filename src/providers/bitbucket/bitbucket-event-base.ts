// The fields every Bitbucket-derived event shares. Bitbucket Cloud names a repository
// `workspace/slug` (repository.full_name); Data Center names it by project key and slug, which
// storyflow joins into `PROJECT/slug` (`~USER/slug` for a personal repository).

import { isRepositoryPath, type NormalizedEvent } from '../../domain/events/normalized-event.js';
import { idAt, stringAt, valueAt } from '../payload-fields.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';

export type BitbucketEventBase = Pick<
  NormalizedEvent,
  'provider' | 'repository' | 'repositoryId' | 'defaultBranch' | 'actor'
>;

/** Bitbucket Cloud: repository.full_name, repository.uuid, repository.mainbranch, actor.uuid. */
export function bitbucketCloudEventBase(payload: unknown): BitbucketEventBase | undefined {
  const repository = stringAt(payload, 'repository', 'full_name');
  if (!isRepositoryPath(repository)) return undefined;
  return {
    provider: 'bitbucket',
    repository,
    repositoryId: stringAt(payload, 'repository', 'uuid'),
    defaultBranch: stringAt(payload, 'repository', 'mainbranch', 'name'),
    // The account UUID is the stable identity (people: `bitbucket:{uuid}`); a nickname
    // can change and a display name is not unique. Older payloads carry neither id.
    actor:
      stringAt(payload, 'actor', 'uuid') ??
      stringAt(payload, 'actor', 'account_id') ??
      stringAt(payload, 'actor', 'nickname') ??
      stringAt(payload, 'actor', 'username') ??
      stringAt(payload, 'actor', 'display_name'),
  };
}

/** The `PROJECT/slug` of a Data Center repository object, or undefined. */
export function dataCenterRepositoryName(repository: unknown): string | undefined {
  const project = stringAt(repository, 'project', 'key');
  const slug = stringAt(repository, 'slug');
  if (project === undefined || slug === undefined) return undefined;
  const name = `${project}/${slug}`;
  return isRepositoryPath(name) ? name : undefined;
}

/**
 * Bitbucket Data Center: the repository at `repositoryPath` (the payload's `repository`, or a
 * pull request's `toRef.repository`), its numeric id, the actor's slug; `occurredAt` is the
 * payload's `date` (when the event happened). Data Center payloads do not name the default branch.
 */
export function bitbucketDataCenterEventBase(
  payload: unknown,
  repositoryPath: readonly string[],
): (BitbucketEventBase & Pick<NormalizedEvent, 'occurredAt'>) | undefined {
  const repositoryObject = valueAt(payload, ...repositoryPath);
  const repository = dataCenterRepositoryName(repositoryObject);
  if (repository === undefined) return undefined;
  return {
    provider: 'bitbucket',
    repository,
    repositoryId: idAt(repositoryObject, 'id'),
    defaultBranch: undefined,
    actor: stringAt(payload, 'actor', 'slug') ?? stringAt(payload, 'actor', 'name'),
    occurredAt: toIsoTimestamp(stringAt(payload, 'date')),
  };
}

export const NO_CLOUD_REPOSITORY = 'payload has no repository.full_name of the form owner/name';
export const NO_DATA_CENTER_REPOSITORY = 'payload names no repository (project.key and slug)';
