import { describe, expect, it } from 'vitest';
import {
  matchesAnyRepositoryGlob,
  matchRepositoryGlob,
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
