// Who is making a request, as every authorization decision and audit entry sees it.
import { matchesAnyRepositoryGlob } from './match-repository-glob.js';
import { hasScope, type Scope } from './scopes.js';

export type PrincipalKind = 'token' | 'oidc' | 'bootstrap';

export interface Principal {
  kind: PrincipalKind;
  /** Token id, OIDC `iss`+`sub`, or `env:STORYFLOW_ADMIN_TOKEN`. */
  id: string;
  /** Token name, or the OIDC subject. */
  name: string;
  scopes: readonly string[];
  /** Repository globs; null = any repository. */
  repositories: readonly string[] | null;
  /** Repository ids the credential is bound to (OIDC `repository_id` / `project_id`). */
  repositoryIds: readonly string[] | null;
  /** A per-credential rate limit that overrides the default, e.g. `6000/minute`. */
  rateLimit: string | null;
  /** When the credential stops working (a token's expiresAt, an id token's exp); null: never. */
  expiresAt?: string | null;
}

export function principalHasScope(principal: Principal, scope: Scope): boolean {
  return hasScope(principal.scopes, scope);
}

/**
 * Whether the principal may act on `repository`. When the credential is bound to repository
 * ids and the request names one, the id decides (names can be reused after a rename).
 */
export function principalCoversRepository(
  principal: Principal,
  repository: string,
  repositoryId?: string,
): boolean {
  if (principal.repositoryIds !== null && repositoryId !== undefined) {
    return principal.repositoryIds.includes(repositoryId);
  }
  if (principal.repositories === null) return true;
  return matchesAnyRepositoryGlob(principal.repositories, repository);
}
