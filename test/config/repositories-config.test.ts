// `repositories:` (docs/git-sync.md, docs/configuration.md#repositories): read once, each wrong
// key refused with its name, never with a secret's value.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';

function directoryWithConfig(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'storyflow-config-'));
  writeFileSync(join(dir, 'storyflow.config.yaml'), yaml);
  return dir;
}

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no ConfigError');
}

const ENTRY =
  '  - name: acme/shop\n    provider: github\n    url: https://github.com/acme/shop.git\n' +
  '    stories: "docs/stories/**/*.md"\n';

describe('repositories:', () => {
  it('reads an entry with its defaults, the token from its variable, and the mirror directory', () => {
    const dir = directoryWithConfig(
      `database:\n  url: sqlite:./state/storyflow.db\nrepositories:\n${ENTRY}    credentials: { tokenEnv: SHOP_TOKEN }\n` +
        '  - name: group/sub/project\n    provider: gitlab\n    url: git@gitlab.example.com:group/sub/project.git\n' +
        '    branch: trunk\n    stories: "*.md"\n    onDelete: cancel\n    writeBack: "off"\n' +
        '    author: { name: " Story Bot ", email: bot@acme.example }\n' +
        '    credentials: { sshKeyFile: deploy-key }\n',
    );
    writeFileSync(join(dir, 'deploy-key'), 'key\n');
    const config = loadConfig({
      env: { SHOP_TOKEN: ' tok \n', PATH: '/usr/bin', GIT_DIR: '/x' },
      cwd: dir,
    });
    expect(config.repositories).toEqual([
      {
        name: 'acme/shop',
        provider: 'github',
        url: 'https://github.com/acme/shop.git',
        branch: null,
        stories: 'docs/stories/**/*.md',
        writeBack: 'pull-request',
        onDelete: 'keep',
        author: { name: 'storyflow', email: 'storyflow@localhost' },
        credentials: { kind: 'token', token: 'tok' },
      },
      {
        name: 'group/sub/project',
        provider: 'gitlab',
        url: 'git@gitlab.example.com:group/sub/project.git',
        branch: 'trunk',
        stories: '*.md',
        writeBack: 'off',
        onDelete: 'cancel',
        author: { name: 'Story Bot', email: 'bot@acme.example' },
        credentials: { kind: 'ssh', keyFile: join(dir, 'deploy-key') },
      },
    ]);
    expect(config.git.mirrorDir).toBe(join(dir, 'state', 'mirrors'));
    // git runs with the variables it needs, not storyflow's whole environment.
    expect(config.git.env).toEqual({ PATH: '/usr/bin' });
    expect(config.git.writeBackDelayMs).toBe(5000);
  });

  it('the write-back delay: git.writeBackDelayMs or STORYFLOW_GIT_WRITEBACK_DELAY_MS; an author git would misread is refused', () => {
    const dir = directoryWithConfig('git:\n  writeBackDelayMs: 250\n');
    expect(loadConfig({ env: {}, cwd: dir }).git.writeBackDelayMs).toBe(250);
    expect(
      loadConfig({ env: { STORYFLOW_GIT_WRITEBACK_DELAY_MS: '0' }, cwd: dir }).git.writeBackDelayMs,
    ).toBe(0);
    expect(() => loadConfig({ env: { STORYFLOW_GIT_WRITEBACK_DELAY_MS: '-1' }, cwd: dir })).toThrow(
      /STORYFLOW_GIT_WRITEBACK_DELAY_MS/,
    );
    const badName = directoryWithConfig(
      `repositories:\n${ENTRY}    author: { name: "a <b>", email: a@b.example }\n`,
    );
    expect(() => loadConfig({ env: {}, cwd: badName })).toThrow(/repositories\[0\]\.author\.name/);
    const badEmail = directoryWithConfig(
      `repositories:\n${ENTRY}    author: { name: Bot, email: "not an address" }\n`,
    );
    expect(() => loadConfig({ env: {}, cwd: badEmail })).toThrow(
      /repositories\[0\]\.author\.email/,
    );
  });

  it('the mirror directory: git.mirrorDir or STORYFLOW_GIT_MIRROR_DIR; ./data/mirrors on PostgreSQL', () => {
    const dir = directoryWithConfig('git:\n  mirrorDir: /srv/mirrors\n');
    expect(loadConfig({ env: {}, cwd: dir }).git.mirrorDir).toBe('/srv/mirrors');
    expect(loadConfig({ env: { STORYFLOW_GIT_MIRROR_DIR: 'm' }, cwd: dir }).git.mirrorDir).toBe(
      join(dir, 'm'),
    );
    const postgres = directoryWithConfig('database:\n  url: postgres://db/storyflow\n');
    expect(loadConfig({ env: {}, cwd: postgres }).git.mirrorDir).toBe(
      join(postgres, 'data', 'mirrors'),
    );
  });

  it('an entry that cannot work is refused at load, naming its key, never the secret', () => {
    const cases: [string, Record<string, string>, string, string][] = [
      [
        `${ENTRY}    credentials: { tokenEnv: NOPE }\n`,
        {},
        'repositories[0].credentials.tokenEnv',
        'NOPE is not set',
      ],
      [
        `${ENTRY}    credentials: { sshKeyFile: missing-key }\n`,
        {},
        'repositories[0].credentials.sshKeyFile',
        'cannot be read',
      ],
      [
        '  - { name: acme/shop, provider: github, url: "https://x:ghp_secret@github.com/acme/shop.git", stories: "*.md" }\n',
        {},
        'repositories[0].url',
        'must not hold a password',
      ],
      [
        '  - { name: shop, provider: github, url: "file:///r.git", stories: "*.md" }\n',
        {},
        'repositories[0].name',
        'owner/name',
      ],
      [`${ENTRY}${ENTRY}`, {}, 'repositories[1].name', 'a second entry for acme/shop'],
      // Forges compare repository names case-insensitively: Acme/Shop is acme/shop.
      [
        `${ENTRY}  - { name: Acme/Shop, provider: github, url: "file:///r.git", stories: "*.md" }\n`,
        {},
        'repositories[1].name',
        'a second entry for Acme/Shop',
      ],
      [`${ENTRY}    branch: "-x"\n`, {}, 'repositories[0].branch', 'not a branch name'],
      [
        '  - { name: a/b, provider: github, url: "file:///r.git", stories: "../*.md" }\n',
        {},
        'repositories[0].stories',
        'relative',
      ],
      [`${ENTRY}    onDelete: archive\n`, {}, 'repositories.0.onDelete', ''],
      [`${ENTRY}    writeBack: sometimes\n`, {}, 'repositories.0.writeBack', ''],
      [
        '  - { name: a/b, provider: sourcehut, url: "file:///r.git", stories: "*.md" }\n',
        {},
        'repositories.0.provider',
        '',
      ],
      ['  - { name: a/b, provider: github, url: "file:///r.git" }\n', {}, 'repositories.0', ''],
      [`${ENTRY}    credentials: { token: x }\n`, {}, 'repositories.0.credentials', ''],
    ];
    for (const [yaml, env, key, message] of cases) {
      const dir = directoryWithConfig(`repositories:\n${yaml}`);
      const error = configErrorOf(() => loadConfig({ env, cwd: dir }));
      expect(error.key, yaml).toContain(key);
      expect(error.message, yaml).toContain(message);
      expect(error.message).not.toContain('ghp_secret');
    }
  });
});
