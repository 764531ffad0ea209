// The fields every Gitea- or Forgejo-derived event shares, read from the payload's repository and
// sender, and the readers those payloads need (Go's zero time, short or full ref names).

import { isRepositoryPath, type NormalizedEvent } from '../../domain/events/normalized-event.js';
import { idAt, stringAt } from '../payload-fields.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';

export type GiteaEventBase = Pick<
  NormalizedEvent,
  'provider' | 'repository' | 'repositoryId' | 'defaultBranch' | 'actor'
>;

/**
 * `provider` 'gitea', `repository` (repository.full_name), `repositoryId`, `defaultBranch` and
 * `actor` (sender.login), read from `holder` (the payload; Forgejo's action_run_* events hold
 * the repository in `run` and the user in run.trigger_user), or undefined when it names no valid
 * repository.
 */
export function giteaEventBase(
  holder: unknown,
  actorPath: readonly string[] = ['sender', 'login'],
): GiteaEventBase | undefined {
  const repository = stringAt(holder, 'repository', 'full_name');
  if (!isRepositoryPath(repository)) return undefined;
  return {
    provider: 'gitea',
    repository,
    repositoryId: idAt(holder, 'repository', 'id'),
    defaultBranch: stringAt(holder, 'repository', 'default_branch'),
    actor: stringAt(holder, ...actorPath),
  };
}

export const NO_REPOSITORY = 'payload has no repository.full_name of the form owner/name';

/**
 * An ISO time from a Gitea payload, or undefined. Go writes an unset time.Time as
 * `0001-01-01T00:00:00Z`: that is "not yet", not a time.
 */
export function giteaTime(value: unknown): string | undefined {
  const iso = toIsoTimestamp(value);
  return iso === undefined || iso.startsWith('0001-') ? undefined : iso;
}

/** Whether `sha` is the all-zero SHA Gitea uses for "no commit" (SHA-1 or SHA-256). */
export function isZeroSha(sha: string | undefined): boolean {
  return sha !== undefined && /^0+$/.test(sha);
}

/**
 * A branch name from a create/delete `ref`: Gitea sends the short name, Forgejo's "Forgejo"
 * hooks the full `refs/heads/…` (its "Gitea" hooks shorten it for compatibility).
 */
export function shortBranchName(ref: string): string {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
}
