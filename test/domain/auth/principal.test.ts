import { describe, expect, it } from 'vitest';
import { type Principal, principalCoversRepository } from '../../../src/domain/auth/principal.js';

function principal(overrides: Partial<Principal>): Principal {
  return {
    kind: 'oidc',
    id: 'https://token.actions.githubusercontent.com#repo:acme/shop:ref:refs/heads/main',
    name: 'shop',
    scopes: ['ci:events'],
    repositories: ['acme/shop'],
    repositoryIds: ['456789'],
    rateLimit: null,
    ...overrides,
  };
}

describe('principalCoversRepository', () => {
  it.each<[string, Partial<Principal>, string, string | undefined, boolean]>([
    ['same name and id', {}, 'acme/shop', '456789', true],
    ['name reused by a repository with another id', {}, 'acme/shop', '999001', false],
    ['repository renamed, same id', {}, 'acme/shop-renamed', '456789', true],
    ['name only: the glob decides', {}, 'acme/shop', undefined, true],
    ['name only, other repository', {}, 'acme/web', undefined, false],
    ['name only, case differs', {}, 'ACME/Shop', undefined, true],
    ['unbound principal: globs decide', { repositoryIds: null }, 'acme/shop', '999001', true],
    ['unbound principal, other repository', { repositoryIds: null }, 'acme/web', '456789', false],
    ['any repository', { repositories: null, repositoryIds: null }, 'x/y', '1', true],
    ['globs', { repositories: ['group/**'], repositoryIds: null }, 'group/a/b', undefined, true],
    [
      'no repositories at all',
      { repositories: [], repositoryIds: null },
      'acme/shop',
      undefined,
      false,
    ],
  ])('%s', (_label, overrides, repository, repositoryId, expected) => {
    expect(principalCoversRepository(principal(overrides), repository, repositoryId)).toBe(
      expected,
    );
  });
});
