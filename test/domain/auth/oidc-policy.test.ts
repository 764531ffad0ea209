// Maps GitHub Actions and GitLab CI id token claims (shapes as the providers document them) to
// principals by policy.
import { describe, expect, it } from 'vitest';
import {
  githubSubjectIds,
  type OidcClaims,
  type OidcPolicy,
  policyPinsRepository,
  principalFromOidcClaims,
  repositoryFromClaims,
} from '../../../src/domain/auth/oidc-policy.js';

const GITHUB = 'https://token.actions.githubusercontent.com';
const GITLAB = 'https://gitlab.example.com';

/** A GitHub Actions id token for a push to main of acme/shop, deploying to production. */
function githubClaims(overrides: Record<string, unknown> = {}): OidcClaims {
  return {
    jti: 'e1b2c3d4-0000-4000-8000-000000000001',
    sub: 'repo:acme/shop:environment:production',
    aud: 'storyflow',
    iss: GITHUB,
    ref: 'refs/heads/main',
    sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    repository: 'acme/shop',
    repository_id: '456789',
    repository_owner: 'acme',
    repository_owner_id: '123456',
    repository_visibility: 'private',
    run_id: '9876543210',
    run_number: '42',
    run_attempt: '1',
    actor: 'octocat',
    actor_id: '583231',
    workflow: 'Deploy',
    workflow_ref: 'acme/shop/.github/workflows/deploy.yml@refs/heads/main',
    job_workflow_ref: 'acme/shop/.github/workflows/deploy.yml@refs/heads/main',
    event_name: 'push',
    ref_type: 'branch',
    environment: 'production',
    runner_environment: 'github-hosted',
    iat: 1_767_225_600,
    nbf: 1_767_225_600,
    exp: 1_767_226_200,
    ...overrides,
  };
}

/** A GitLab CI id token for a pipeline on main of group/sub/project. */
function gitlabClaims(overrides: Record<string, unknown> = {}): OidcClaims {
  return {
    jti: 'c5a1d2f0-0000-4000-8000-000000000002',
    iss: GITLAB,
    aud: 'storyflow',
    sub: 'project_path:group/sub/project:ref_type:branch:ref:main',
    namespace_id: '72',
    namespace_path: 'group/sub',
    project_id: '20',
    project_path: 'group/sub/project',
    user_id: '5',
    user_login: 'alice',
    user_email: 'alice@example.com',
    pipeline_id: '574',
    pipeline_source: 'push',
    job_id: '302',
    ref: 'main',
    ref_type: 'branch',
    ref_path: 'refs/heads/main',
    ref_protected: 'true',
    environment: 'production',
    environment_protected: 'true',
    runner_id: 1,
    iat: 1_767_225_600,
    nbf: 1_767_225_595,
    exp: 1_767_229_200,
    ...overrides,
  };
}

function policy(overrides: Partial<OidcPolicy> & Pick<OidcPolicy, 'claims'>): OidcPolicy {
  return { name: 'policy', issuer: GITHUB, scopes: ['stories:read'], ...overrides };
}

describe('principalFromOidcClaims with GitHub Actions claims', () => {
  it('maps a matching token to an oidc principal bound to its repository name and id', () => {
    const principal = principalFromOidcClaims(GITHUB, githubClaims(), [
      policy({
        name: 'shop deploys',
        claims: { repository: 'acme/shop', ref: 'refs/heads/main', environment: 'production' },
        scopes: ['stories:write', 'deployments:write'],
      }),
    ]);
    expect(principal).toEqual({
      kind: 'oidc',
      id: `${GITHUB}#repo:acme/shop:environment:production`,
      name: 'repo:acme/shop:environment:production (shop deploys)',
      scopes: ['stories:write', 'deployments:write'],
      repositories: ['acme/shop'],
      repositoryIds: ['456789'],
      rateLimit: null,
      // The id token's exp: a token this principal creates expires no later.
      expiresAt: new Date(1_767_226_200_000).toISOString(),
    });
  });

  it.each<[string, Record<string, string>, boolean]>([
    ['owner glob', { repository: 'acme/*' }, true],
    ['other repository', { repository: 'acme/web' }, false],
    ['branch glob', { ref: 'refs/heads/*' }, true],
    ['other branch', { ref: 'refs/heads/release' }, false],
    ['ref type', { ref_type: 'tag' }, false],
    ['environment', { environment: 'production' }, true],
    ['other environment', { environment: 'staging' }, false],
    ['workflow', { workflow: 'Deploy' }, true],
    ['actor', { actor: 'mallory' }, false],
    [
      'reusable workflow',
      { job_workflow_ref: 'acme/shop/.github/workflows/*@refs/heads/main' },
      true,
    ],
    ['owner id (exact)', { repository_owner_id: '123456' }, true],
    ['other owner id', { repository_owner_id: '654321' }, false],
    ['repository id (exact)', { repository_id: '456789' }, true],
    ['repository id is no glob', { repository_id: '4567*' }, false],
    ['repository id is no prefix', { repository_id: '45678' }, false],
    ['audience', { aud: 'storyflow' }, true],
    ['every claim must match', { repository: 'acme/shop', environment: 'staging' }, false],
    ['a claim the token lacks', { pull_request: '*' }, false],
  ])('policy on %s: match is %s', (_label, claims, matches) => {
    const principal = principalFromOidcClaims(GITHUB, githubClaims(), [policy({ claims })]);
    expect(principal !== undefined).toBe(matches);
  });

  it('ignores policies of another issuer', () => {
    const gitlabPolicy = policy({ issuer: GITLAB, claims: { repository: 'acme/shop' } });
    expect(principalFromOidcClaims(GITHUB, githubClaims(), [gitlabPolicy])).toBeUndefined();
    expect(
      principalFromOidcClaims(GITLAB, githubClaims(), [policy({ claims: {} })]),
    ).toBeUndefined();
  });

  it('unions the scopes and names of every matching policy, and only of matching ones', () => {
    const principal = principalFromOidcClaims(GITHUB, githubClaims(), [
      policy({ name: 'readers', claims: { repository_owner: 'acme' }, scopes: ['stories:read'] }),
      policy({
        name: 'ci',
        claims: { repository: 'acme/shop' },
        scopes: ['ci:events', 'stories:read'],
      }),
      policy({ name: 'admins', claims: { repository: 'acme/admin' }, scopes: ['admin'] }),
    ]);
    expect(principal?.scopes).toEqual(['stories:read', 'ci:events']);
    expect(principal?.name).toBe('repo:acme/shop:environment:production (readers, ci)');
  });

  it('a policy naming repositories widens them and drops the binding to the repository id', () => {
    const principal = principalFromOidcClaims(GITHUB, githubClaims(), [
      policy({ claims: { repository: 'acme/shop' } }),
      policy({ claims: { repository_owner: 'acme' }, repositories: ['acme/docs', 'acme/shop'] }),
    ]);
    expect(principal?.repositories).toEqual(['acme/shop', 'acme/docs']);
    expect(principal?.repositoryIds).toBeNull();
  });
});

describe('principalFromOidcClaims with GitLab CI claims', () => {
  it('matches a project path glob across subgroups and binds the project id', () => {
    const principal = principalFromOidcClaims(GITLAB, gitlabClaims(), [
      policy({
        name: 'group readers',
        issuer: GITLAB,
        claims: { project_path: 'group/**', ref_protected: 'true' },
        scopes: ['stories:read'],
      }),
    ]);
    expect(principal).toMatchObject({
      kind: 'oidc',
      id: `${GITLAB}#project_path:group/sub/project:ref_type:branch:ref:main`,
      scopes: ['stories:read'],
      repositories: ['group/sub/project'],
      repositoryIds: ['20'],
    });
  });

  it.each<[string, Record<string, string>, boolean]>([
    ['one-segment glob does not reach subgroups', { project_path: 'group/*' }, false],
    ['namespace path', { namespace_path: 'group/sub' }, true],
    ['namespace id', { namespace_id: '72' }, true],
    ['project id', { project_id: '20' }, true],
    ['other project id', { project_id: '21' }, false],
    ['unprotected refs only', { ref_protected: 'false' }, false],
    ['pipeline source', { pipeline_source: 'push' }, true],
    ['scheduled pipelines only', { pipeline_source: 'schedule' }, false],
    ['user', { user_login: 'alice' }, true],
    ['subject glob', { sub: 'project_path:group/**:ref_type:branch:ref:main' }, true],
    ['environment', { environment: 'production' }, true],
  ])('policy on %s: match is %s', (_label, claims, matches) => {
    const principal = principalFromOidcClaims(GITLAB, gitlabClaims(), [
      policy({ issuer: GITLAB, claims }),
    ]);
    expect(principal !== undefined).toBe(matches);
  });

  it('reads the repository from project_path and project_id', () => {
    expect(repositoryFromClaims(gitlabClaims())).toEqual({ name: 'group/sub/project', id: '20' });
    expect(repositoryFromClaims(githubClaims())).toEqual({ name: 'acme/shop', id: '456789' });
    expect(repositoryFromClaims({ sub: 'x' })).toEqual({});
  });
});

describe('GitHub immutable subjects', () => {
  const IMMUTABLE_SUB = 'repo:octocat@123456/my-repo@456789:ref:refs/heads/main';

  it.each<[string | undefined, ReturnType<typeof githubSubjectIds>]>([
    [
      IMMUTABLE_SUB,
      {
        owner: 'octocat',
        ownerId: '123456',
        repository: 'octocat/my-repo',
        repositoryId: '456789',
      },
    ],
    [
      'repo:octocat@123456/my-repo@456789:environment:production',
      {
        owner: 'octocat',
        ownerId: '123456',
        repository: 'octocat/my-repo',
        repositoryId: '456789',
      },
    ],
    [
      'repo:octocat@123456/my-repo@456789',
      {
        owner: 'octocat',
        ownerId: '123456',
        repository: 'octocat/my-repo',
        repositoryId: '456789',
      },
    ],
    ['repo:octocat/my-repo:ref:refs/heads/main', undefined],
    ['repo:octocat@abc/my-repo@456789:ref:refs/heads/main', undefined],
    ['project_path:group/project:ref_type:branch:ref:main', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('githubSubjectIds(%j)', (subject, expected) => {
    expect(githubSubjectIds(subject)).toEqual(expected);
  });

  it('yields the repository id, which matches an id policy without a repository_id claim', () => {
    const claims = githubClaims({
      sub: IMMUTABLE_SUB,
      repository: 'octocat/my-repo',
      repository_id: undefined,
    });
    expect(repositoryFromClaims(claims)).toEqual({ name: 'octocat/my-repo', id: '456789' });
    const principal = principalFromOidcClaims(GITHUB, claims, [
      policy({ claims: { repository_id: '456789' }, scopes: ['ci:events'] }),
    ]);
    expect(principal?.scopes).toEqual(['ci:events']);
    expect(principal?.repositoryIds).toEqual(['456789']);
  });

  it('a renamed or re-created repository with the same name but another id matches no id policy', () => {
    const idPolicy = policy({ claims: { repository_id: '456789' } });
    // The name was reused by a new repository (by claim, or by immutable subject only).
    const reusedByClaim = githubClaims({ repository: 'acme/shop', repository_id: '999001' });
    const reusedBySubject = githubClaims({
      sub: 'repo:acme@123456/shop@999001:ref:refs/heads/main',
      repository_id: undefined,
    });
    expect(principalFromOidcClaims(GITHUB, reusedByClaim, [idPolicy])).toBeUndefined();
    expect(principalFromOidcClaims(GITHUB, reusedBySubject, [idPolicy])).toBeUndefined();
  });
});

describe('policy safety', () => {
  it.each([
    [{}, false],
    [{ repository: '*' }, false],
    [{ repository: '*/shop' }, false],
    [{ ref: 'refs/heads/main' }, false],
    [{ repository: 'acme/*' }, true],
    [{ repository_owner: 'acme' }, true],
    [{ repository_id: '123' }, true],
    [{ project_path: 'group/**' }, true],
    [{ sub: 'repo:acme/shop:ref:refs/heads/main' }, true],
  ])('claims %j pin a repository: %s', (claims, pinned) => {
    expect(policyPinsRepository(claims as Record<string, string>)).toBe(pinned);
  });

  it('git refs match case-sensitively; repository names do not', () => {
    const policies = [policy({ claims: { repository: 'ACME/*', ref: 'refs/heads/main' } })];
    expect(
      principalFromOidcClaims(GITHUB, githubClaims({ ref: 'refs/heads/main' }), policies),
    ).toBeDefined();
    expect(
      principalFromOidcClaims(GITHUB, githubClaims({ ref: 'refs/heads/MAIN' }), policies),
    ).toBeUndefined();
  });
});
