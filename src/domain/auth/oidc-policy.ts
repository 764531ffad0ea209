// Maps the verified claims of a CI id token (GitHub Actions, GitLab CI) to a principal,
// by the policies in config. Pure: the signature is checked before this runs.
import { matchGlobExactCase, matchRepositoryGlob } from './match-repository-glob.js';
import type { Principal } from './principal.js';

export interface OidcPolicy {
  /** Shown in logs and the audit log. */
  name: string;
  issuer: string;
  /**
   * Claims that must all match: strings are globs (`acme/*`, `refs/heads/*`); `repository_id`,
   * `project_id` and other ids compare exactly.
   */
  claims: Readonly<Record<string, string>>;
  scopes: readonly string[];
  /** Repositories the token may act on; default: the repository the token was issued for. */
  repositories?: readonly string[];
}

export type OidcClaims = Readonly<Record<string, unknown>>;

/** Repository identity from a GitHub (`repository`, `repository_id`) or GitLab (`project_path`, `project_id`) token. */
export function repositoryFromClaims(claims: OidcClaims): { name?: string; id?: string } {
  const name = stringClaim(claims.repository) ?? stringClaim(claims.project_path);
  const id =
    stringClaim(claims.repository_id) ??
    stringClaim(claims.project_id) ??
    githubSubjectIds(stringClaim(claims.sub))?.repositoryId;
  return { ...(name === undefined ? {} : { name }), ...(id === undefined ? {} : { id }) };
}

/**
 * GitHub's immutable subject format carries owner and repository ids:
 * `repo:octocat@123456/my-repo@456789:ref:refs/heads/main`.
 */
export function githubSubjectIds(
  subject: string | undefined,
): { owner: string; ownerId: string; repository: string; repositoryId: string } | undefined {
  const match =
    subject === undefined ? null : /^repo:([^@/:]+)@(\d+)\/([^@/:]+)@(\d+)(?::|$)/.exec(subject);
  if (match === null) return undefined;
  return {
    owner: match[1]!,
    ownerId: match[2]!,
    repository: `${match[1]}/${match[3]}`,
    repositoryId: match[4]!,
  };
}

/** Claims that name a repository or its owner: case-insensitive, like the providers. */
export const NAME_CLAIMS = new Set([
  'repository',
  'repository_owner',
  'project_path',
  'namespace_path',
]);

const ID_CLAIMS = new Set([
  'repository_id',
  'repository_owner_id',
  'project_id',
  'namespace_id',
  'user_id',
  'actor_id',
]);

/**
 * Whether a policy pins the repository (or owner) it trusts: a name claim without wildcards in
 * its first segment, or an id claim. A policy without one would trust every workflow of a
 * shared issuer such as GitHub's.
 */
export function policyPinsRepository(claims: Readonly<Record<string, string>>): boolean {
  return Object.entries(claims).some(([claim, expected]) => {
    if (ID_CLAIMS.has(claim)) return expected !== '';
    if (claim === 'sub') return /^(repo|project_path):[^*:/]+/.test(expected);
    if (!NAME_CLAIMS.has(claim)) return false;
    const owner = expected.split('/')[0] ?? '';
    return owner !== '' && !owner.includes('*');
  });
}

function claimMatches(claim: string, expected: string, claims: OidcClaims): boolean {
  let actual = stringClaim(claims[claim]);
  // GitHub's immutable subject holds the ids even where the claim itself is absent.
  if (actual === undefined && claim === 'repository_id') {
    actual = githubSubjectIds(stringClaim(claims.sub))?.repositoryId;
  }
  if (actual === undefined) return false;
  if (ID_CLAIMS.has(claim)) return actual === expected;
  // Names compare as GitHub and GitLab compare them; refs and everything else are exact.
  if (NAME_CLAIMS.has(claim)) return matchRepositoryGlob(expected, actual);
  return matchGlobExactCase(expected, actual);
}

/** The principal for verified claims, or undefined when no policy of that issuer matches. */
export function principalFromOidcClaims(
  issuer: string,
  claims: OidcClaims,
  policies: readonly OidcPolicy[],
): Principal | undefined {
  const matching = policies.filter(
    (policy) =>
      policy.issuer === issuer &&
      Object.entries(policy.claims).every(([claim, expected]) =>
        claimMatches(claim, expected, claims),
      ),
  );
  if (matching.length === 0) return undefined;
  const repository = repositoryFromClaims(claims);
  const repositories = new Set<string>();
  for (const policy of matching) {
    for (const glob of policy.repositories ?? (repository.name ? [repository.name] : [])) {
      repositories.add(glob);
    }
  }
  const subject = stringClaim(claims.sub) ?? '(no subject)';
  return {
    kind: 'oidc',
    id: `${issuer}#${subject}`,
    name: `${subject} (${matching.map((policy) => policy.name).join(', ')})`,
    scopes: [...new Set(matching.flatMap((policy) => policy.scopes))],
    repositories: [...repositories],
    // Bound to the repository id when no policy widened the repositories beyond the token's own.
    repositoryIds:
      repository.id !== undefined && matching.every((policy) => policy.repositories === undefined)
        ? [repository.id]
        : null,
    rateLimit: null,
    expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : null,
  };
}

function stringClaim(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}
