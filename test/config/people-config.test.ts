// people: and the automation keys of issue #17 points 6 and 7, read and checked at load.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';

function load(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'storyflow-people-'));
  writeFileSync(join(dir, 'storyflow.config.yaml'), yaml);
  return { dir, run: () => loadConfig({ env: {}, cwd: dir }) };
}

function errorOf(yaml: string): { key: string; message: string } {
  const { dir, run } = load(yaml);
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError)
      return {
        key: error.key.replace(`${join(dir, 'storyflow.config.yaml')}: `, ''),
        message: error.message,
      };
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const ADA = `people:
  - name: Ada Lovelace
    identities: [github:ada, gitlab:ada, "bitbucket:{0f4c1a2e-6d1b-4c1e-9a47-2b8e1f3c5d7a}", azure-devops:ada@contoso.com]
    roles: [developer]
`;

describe('people and the merge option in the config file', () => {
  it('defaults: no people, smart commands for anyone, done on the last merge', () => {
    const config = load('').run();
    expect(config.people).toEqual([]);
    expect(config.automation.smartCommands).toEqual({ roles: null });
    expect(config.automation.pullRequests).toBe('last');
  });

  it('reads people, the smart command roles and pullRequests: first', () => {
    const config = load(
      `${ADA}automation:\n  pullRequests: first\n  smartCommands:\n    roles: [developer]\n`,
    ).run();
    expect(config.people).toEqual([
      {
        name: 'Ada Lovelace',
        identities: [
          'github:ada',
          'gitlab:ada',
          'bitbucket:{0f4c1a2e-6d1b-4c1e-9a47-2b8e1f3c5d7a}',
          'azure-devops:ada@contoso.com',
        ],
        roles: ['developer'],
      },
    ]);
    expect(config.automation.smartCommands.roles).toEqual(['developer']);
    expect(config.automation.pullRequests).toBe('first');
    expect(Object.isFrozen(config.people)).toBe(true);
  });

  it.each([
    [
      'people:\n  - name: Ada\n    identities: [ada]\n',
      'people[0].identities[0]',
      'must be <provider>:<login>',
    ],
    [
      'people:\n  - name: Ada\n    identities: [github:ada]\n  - name: Eve\n    identities: [github:ada]\n',
      'people[1].identities[0]',
      'github:ada already belongs to people[0]',
    ],
    ['people:\n  - name: Ada\n    identities: []\n', 'people.0.identities', ''],
    [
      'people:\n  - name: Ada\n    identities: [github:ada]\n    email: a@b.c\n',
      'people.0.email',
      'unexpected property',
    ],
    [
      `${ADA}automation:\n  smartCommands:\n    roles: [developers]\n`,
      'automation.smartCommands.roles[0]',
      'no person in people holds the role "developers"',
    ],
    ['automation:\n  pullRequests: all\n', 'automation.pullRequests', ''],
  ])('refuses %j, naming %s', (yaml, key, message) => {
    const error = errorOf(yaml);
    expect(error.key).toBe(key);
    expect(error.message).toContain(message);
  });
});
