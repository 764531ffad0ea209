// `storyflow serve` with `repositories:` needs the system git, 2.30 or later: without it, it
// refuses to start with exit 2 and a message saying why (docs/git-sync.md).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkGitVersion } from '../../src/services/repositories/check-git-version.js';
import { runBin } from '../support/run-cli.js';

describe('serve and git', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'storyflow-serve-git-'));
    writeFileSync(
      join(dir, 'storyflow.config.yaml'),
      'database:\n  url: "sqlite::memory:"\nrepositories:\n' +
        '  - { name: acme/shop, provider: github, url: "file:///nowhere.git", stories: "*.md" }\n',
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A directory whose only program is a `git` that prints this version. */
  function fakeGit(version: string): string {
    const bin = join(dir, `bin-${version}`);
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "git version ${version}"\n`);
    chmodSync(join(bin, 'git'), 0o755);
    return bin;
  }

  it('refuses to start (exit 2) when git is not on PATH', async () => {
    const run = await runBin(['serve', '--port', '0'], { PATH: join(dir, 'empty') }, { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('git cannot be run');
    expect(run.stderr).toContain('2.30');
  });

  it('refuses to start (exit 2) when git is older than 2.30', async () => {
    const run = await runBin(['serve', '--port', '0'], { PATH: fakeGit('2.29.3') }, { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('git is 2.29; storyflow needs git 2.30 or later');
  });

  it('accepts 2.30 and later', async () => {
    expect(await checkGitVersion({ PATH: fakeGit('2.30.0') })).toBeNull();
    expect(await checkGitVersion({ PATH: fakeGit('3.0.1') })).toBeNull();
    expect(await checkGitVersion({ PATH: process.env.PATH ?? '' })).toBeNull();
  });
});
