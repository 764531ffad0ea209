import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';

function directoryWithConfig(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'storyflow-gitea-config-'));
  writeFileSync(join(dir, 'storyflow.config.yaml'), yaml);
  return dir;
}

describe('the Gitea and Forgejo webhook settings', () => {
  it('STORYFLOW_GITEA_WEBHOOK_SECRET is comma-separated, and webhooks.gitea.secrets adds to it', () => {
    const dir = directoryWithConfig(
      [
        'webhooks:',
        '  gitea:',
        '    secrets: [from-file]',
        '    repositories:',
        '      - repository: acme/*',
        '        secrets: [acme-only]',
        '',
      ].join('\n'),
    );
    const config = loadConfig({
      env: { STORYFLOW_GITEA_WEBHOOK_SECRET: ' new , old ,' },
      cwd: dir,
    });
    expect(config.webhooks.gitea).toEqual({
      secrets: ['new', 'old', 'from-file'],
      repositories: [{ repository: 'acme/*', secrets: ['acme-only'] }],
    });
  });

  it('nothing configured is no secret at all', () => {
    const config = loadConfig({ env: {}, cwd: mkdtempSync(join(tmpdir(), 'storyflow-empty-')) });
    expect(config.webhooks.gitea).toEqual({ secrets: [], repositories: [] });
  });

  it('a repository entry without secrets is a config error naming the key', () => {
    const dir = directoryWithConfig(
      'webhooks:\n  gitea:\n    repositories:\n      - repository: acme/shop\n        secrets: []\n',
    );
    expect(() => loadConfig({ env: {}, cwd: dir })).toThrow(ConfigError);
  });
});
