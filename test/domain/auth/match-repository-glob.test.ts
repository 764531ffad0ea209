import { describe, expect, it } from 'vitest';
import {
  matchesAnyRepositoryGlob,
  matchRepositoryGlob,
  repositoryGlobWithin,
  repositoryGlobWithinAny,
} from '../../../src/domain/auth/match-repository-glob.js';

describe('matchRepositoryGlob', () => {
  it.each<[string, string, boolean]>([
    // exact names
    ['acme/shop', 'acme/shop', true],
    ['acme/shop', 'acme/shop2', false],
    ['acme/shop', 'xacme/shop', false],
    ['acme/shop', 'acme/shop/extra', false],
    // `*` is one path segment
    ['acme/*', 'acme/shop', true],
    ['acme/*', 'acme/', true],
    ['acme/*', 'acme/a/b', false],
    ['acme/*', 'other/shop', false],
    ['acme/*', 'acme', false],
    ['acme/sh*p', 'acme/shop', true],
    ['acme/sh*p', 'acme/sh/p', false],
    ['*/shop', 'acme/shop', true],
    ['*/shop', 'acme/sub/shop', false],
    // `**` spans GitLab subgroups
    ['group/**', 'group/project', true],
    ['group/**', 'group/sub/project', true],
    ['group/**', 'group/a/b/c/project', true],
    ['group/**', 'groupie/project', false],
    ['group/**/api', 'group/sub/team/api', true],
    ['group/**/api', 'group/sub/team/web', false],
    // `*` alone matches any repository, at any depth
    ['*', 'acme/shop', true],
    ['*', 'group/sub/project', true],
    ['*', 'x', true],
    // names compare case-insensitively
    ['acme/shop', 'ACME/Shop', true],
    ['ACME/*', 'acme/shop', true],
    ['Group/**', 'group/SUB/project', true],
    // regex metacharacters in names are literal
    ['acme/shop.io', 'acme/shop.io', true],
    ['acme/shop.io', 'acme/shopXio', false],
    ['a+b/(c)', 'a+b/(c)', true],
    ['a+b/(c)', 'aab/c', false],
    ['acme/[ab]', 'acme/[ab]', true],
    ['acme/[ab]', 'acme/a', false],
    ['acme/a|b', 'acme/a|b', true],
    ['acme/a|b', 'b', false],
    ['acme/a?', 'acme/a?', true],
    ['acme/a?', 'acme/', false],
    ['acme/a?', 'acme/ab', false],
    ['a$b/^c', 'a$b/^c', true],
    ['acme/x{2}', 'acme/xx', false],
    ['acme\\d/shop', 'acme\\d/shop', true],
    ['acme\\d/shop', 'acme1/shop', false],
  ])('%j against %j is %s', (glob, repository, expected) => {
    expect(matchRepositoryGlob(glob, repository)).toBe(expected);
  });

  it('gives the same answer when a glob is reused (compiled globs are cached)', () => {
    expect(matchRepositoryGlob('cache/*', 'cache/a')).toBe(true);
    expect(matchRepositoryGlob('cache/*', 'cache/a/b')).toBe(false);
    expect(matchRepositoryGlob('cache/*', 'cache/a')).toBe(true);
  });
});

describe('matchesAnyRepositoryGlob', () => {
  it.each<[string[], string, boolean]>([
    [['acme/shop', 'group/**'], 'group/sub/p', true],
    [['acme/shop', 'group/**'], 'acme/shop', true],
    [['acme/shop', 'group/**'], 'acme/other', false],
    [[], 'acme/shop', false],
  ])('%j against %j is %s', (globs, repository, expected) => {
    expect(matchesAnyRepositoryGlob(globs, repository)).toBe(expected);
  });
});

describe('repositoryGlobWithin (may a creator limited to OUTER hand out GLOB?)', () => {
  it.each<[string, string, boolean]>([
    ['acme/shop', 'acme/shop', true],
    ['ACME/Shop', 'acme/shop', true],
    ['acme/shop', 'acme/*', true],
    ['acme/*', 'acme/*', true],
    ['acme/s*', 'acme/*', true],
    ['acme/*', 'acme/s*', false],
    ['acme/**', 'acme/*', false],
    ['**/shop', '*/shop', false],
    ['acme/x**', 'acme/*', false],
    ['acme/*/**', 'acme/*', false],
    ['acme/a/b', 'acme/*', false],
    ['acme/**', 'acme/**', true],
    ['acme/a/*', 'acme/**', true],
    ['acme/*/**', 'acme/**', true],
    ['*', 'acme/**', false],
    ['*', '*', true],
    ['anything/at/all', '*', true],
    ['acme/**', '*', true],
    ['other/*', 'acme/*', false],
    ['acme/shop.io', 'acme/shop?io', false],
    ['acme/shop', 'acme/shop/extra', false],
    ['acme/shop/extra', 'acme/shop', false],
  ])('%j within %j is %s', (glob, outer, expected) => {
    expect(repositoryGlobWithin(glob, outer)).toBe(expected);
  });

  it('is never wider than the outer glob on sample repositories', () => {
    const globs = ['acme/*', 'acme/**', 'acme/s*', '*/shop', '**/shop', '*', 'acme/shop', 'a*/*'];
    const names = ['acme/shop', 'acme/a/b', 'acme/', 'x/shop', 'x/y/shop', 'acme', 'ab/c', 'a/b'];
    for (const glob of globs) {
      for (const outer of globs) {
        if (!repositoryGlobWithin(glob, outer)) continue;
        for (const name of names) {
          if (matchRepositoryGlob(glob, name)) {
            expect(matchRepositoryGlob(outer, name), `${glob} ⊆ ${outer} on ${name}`).toBe(true);
          }
        }
      }
    }
  });

  it('repositoryGlobWithinAny checks every outer glob', () => {
    expect(repositoryGlobWithinAny('group/sub/*', ['acme/*', 'group/**'])).toBe(true);
    expect(repositoryGlobWithinAny('group/**', ['acme/*', 'group/*'])).toBe(false);
    expect(repositoryGlobWithinAny('acme/shop', [])).toBe(false);
  });
});
