import { describe, expect, it } from 'vitest';
import { type Principal, principalHasScope } from '../../../src/domain/auth/principal.js';
import { hasScope, isScope, SCOPES, type Scope } from '../../../src/domain/auth/scopes.js';

describe('hasScope', () => {
  it.each(SCOPES.map((scope) => [scope]))('admin holds %s', (scope) => {
    expect(hasScope(['admin'], scope)).toBe(true);
  });

  it.each<[string[], Scope, boolean]>([
    [['stories:write'], 'stories:read', true],
    [['stories:write'], 'stories:write', true],
    [['stories:read'], 'stories:read', true],
    [['stories:read'], 'stories:write', false],
    [['ci:events'], 'deployments:write', false],
    [['deployments:write'], 'ci:events', false],
    [['tokens:admin'], 'admin', false],
    [['tokens:admin'], 'stories:read', false],
    [['audit:read', 'ci:events'], 'ci:events', true],
    [[], 'stories:read', false],
    [['not-a-scope'], 'stories:read', false],
    [['Admin'], 'stories:read', false],
    [['stories:*'], 'stories:read', false],
  ])('granted %j covers %s: %s', (granted, required, expected) => {
    expect(hasScope(granted, required)).toBe(expected);
  });

  it('principalHasScope decides by the principal’s scopes', () => {
    const principal: Principal = {
      kind: 'token',
      id: 'tok_1',
      name: 'ci',
      scopes: ['stories:write'],
      repositories: null,
      repositoryIds: null,
      rateLimit: null,
    };
    expect(principalHasScope(principal, 'stories:read')).toBe(true);
    expect(principalHasScope(principal, 'tokens:admin')).toBe(false);
  });

  it.each<[string, boolean]>([
    ['stories:read', true],
    ['admin', true],
    ['stories', false],
    ['', false],
    ['STORIES:READ', false],
  ])('isScope(%j) is %s', (value, expected) => {
    expect(isScope(value)).toBe(expected);
  });
});
