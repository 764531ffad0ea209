// A token reaches git through GIT_ASKPASS, over real smart HTTP (`git http-backend` behind a
// server that checks it), and is never written into the mirror or an error message.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RepositoryConfig } from '../../../src/config/config.js';
import { GitMirror } from '../../../src/services/repositories/git-mirror.js';
import { type GitHttpServer, startGitHttpServer } from '../../support/git-http-server.js';
import { createGitRepository, type GitRepository } from '../../support/git-repository.js';

const TOKEN = 'ghp_sekrit_token_0123456789';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('GitMirror over HTTPS-style credentials', () => {
  let repo: GitRepository;
  let server: GitHttpServer;
  let mirrors: string;

  beforeEach(async () => {
    repo = createGitRepository();
    repo.write('docs/stories/INT-1.md', '---\nid: INT-1\ntitle: One\n---\n');
    repo.commit('one');
    repo.push();
    server = await startGitHttpServer(repo.root, TOKEN);
    mirrors = mkdtempSync(join(tmpdir(), 'storyflow-mirrors-'));
  });
  afterEach(async () => {
    await server.close();
    repo.cleanup();
    rmSync(mirrors, { recursive: true, force: true });
  });

  const mirrorOf = (token: string) =>
    new GitMirror(
      {
        name: 'acme/shop',
        provider: 'github',
        url: `${server.url}/origin.git`,
        branch: null,
        stories: 'docs/stories/**/*.md',
        writeBack: 'off',
        onDelete: 'keep',
        credentials: { kind: 'token', token },
      } satisfies RepositoryConfig,
      { mirrorDir: mirrors, env: { PATH: process.env.PATH ?? '', HOME: mirrors } },
    );

  it('fetches with the token the server checks, and writes it nowhere on disk', async () => {
    const mirror = mirrorOf(TOKEN);
    expect(await mirror.trackedBranch()).toBe('main');
    expect(await mirror.fetch('main')).toBe(repo.head());
    expect(server.credentials).toContainEqual({ user: 'x-access-token', password: TOKEN });
    for (const file of filesUnder(mirrors)) {
      expect(readFileSync(file).includes(TOKEN), file).toBe(false);
    }
    // The mirror stores no remote, so no URL (with or without a secret) is kept in it.
    expect(() =>
      execFileSync('git', ['config', '--get-regexp', '^remote\\.'], { cwd: mirror.dir }),
    ).toThrow();
  });

  it('a wrong token fails the fetch with a message that holds no secret', async () => {
    const wrong = 'ghp_wrong_token_9876543210';
    const error = await mirrorOf(wrong)
      .fetch('main')
      .then(
        () => undefined,
        (caught: Error) => caught,
      );
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toMatch(/git fetch failed/);
    expect(error?.message).not.toContain(wrong);
    expect(server.credentials).toContainEqual({ user: 'x-access-token', password: wrong });
  });
});
