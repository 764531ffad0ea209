import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import {
  isNormalizedEventKind,
  isRepositoryPath,
  NORMALIZED_EVENT_KINDS,
  NormalizedEventSchema,
} from '../../src/domain/events/normalized-event.js';

const valid = (event: unknown) => Value.Check(NormalizedEventSchema, event);

describe('NormalizedEventSchema (events posted by generic CI systems)', () => {
  it('accepts the smallest event: kind and repository', () => {
    expect(valid({ kind: 'deployment.rolled_back', repository: 'acme/shop' })).toBe(true);
  });

  it('accepts a full deployment event from a CI system', () => {
    expect(
      valid({
        kind: 'deployment.succeeded',
        provider: 'jenkins',
        repository: 'group/subgroup/project',
        repositoryId: '42',
        branch: 'main',
        sha: '279484c09fbe69ededfced8c1bb6e6d24616b468',
        environment: 'production',
        deployment: { id: '7', status: 'success', environmentUrl: 'https://shop.example' },
        pipeline: { id: '99', status: 'success', extra: 'nested objects are open' },
        url: 'https://ci.example/job/7',
        actor: 'deploy-bot',
        occurredAt: '2024-05-01T10:00:00+02:00',
        defaultBranch: 'main',
      }),
    ).toBe(true);
  });

  it('accepts every kind', () => {
    for (const kind of NORMALIZED_EVENT_KINDS) {
      expect(valid({ kind, repository: 'acme/shop' })).toBe(true);
    }
  });

  it.each([
    ['an unknown kind', { kind: 'deployment.exploded', repository: 'acme/shop' }],
    ['a missing kind', { repository: 'acme/shop' }],
    ['a missing repository', { kind: 'push' }],
    ['a repository without owner', { kind: 'push', repository: 'shop' }],
    ['an unknown top-level field', { kind: 'push', repository: 'acme/shop', story: 'S-1' }],
    ['a time without zone', { kind: 'push', repository: 'a/b', occurredAt: '2024-05-01T10:00' }],
    ['a pr without number', { kind: 'pr.opened', repository: 'a/b', pr: { title: 'x' } }],
    ['a commit without sha', { kind: 'push', repository: 'a/b', commits: [{ message: 'm' }] }],
    ['an empty branch', { kind: 'push', repository: 'a/b', branch: '' }],
  ])('rejects %s', (_, event) => {
    expect(valid(event)).toBe(false);
  });

  it('names the kinds and repository paths it accepts', () => {
    expect(isNormalizedEventKind('pr.merged')).toBe(true);
    expect(isNormalizedEventKind('toString')).toBe(false);
    expect(isRepositoryPath('group/sub/project')).toBe(true);
    expect(isRepositoryPath('project')).toBe(false);
  });
});
