// Write-back under the real `storyflow serve` (issue #18 point 8): SIGKILL between the commit and
// the push. The bare repository's pre-receive hook holds the first push (and then refuses it)
// while the test kills the server; after a restart the queued change is written back, exactly
// once: one storyflow commit on the branch, holding the change.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitRepository, type GitRepository } from '../support/git-repository.js';
import { http } from '../support/http.js';
import {
  freePort,
  type ServerProcess,
  sqliteServeEnv,
  startServerProcess,
} from '../support/server-process.js';

const ADMIN = 'serve-admin-token-0123456789abcdef';
const NAME = 'acme/shop';
const ENCODED = encodeURIComponent(NAME);

describe('serve: a write-back cut short by SIGKILL', () => {
  let dir: string;
  let repo: GitRepository;
  let server: ServerProcess | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'storyflow-serve-writeback-'));
    repo = createGitRepository();
  });
  afterEach(async () => {
    await server?.stop();
    repo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async () =>
    startServerProcess({
      name: 'writeback',
      cwd: dir,
      port: await freePort(),
      env: sqliteServeEnv(dir, ADMIN),
    });
  const api = (method: string, path: string, json?: unknown) =>
    http((server as ServerProcess).baseUrl, method, `/api/v1${path}`, {
      token: ADMIN,
      ...(json === undefined ? {} : { json }),
    });
  async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean) {
    for (let attempt = 0; attempt < 300; attempt += 1) {
      const value = await read();
      if (done(value)) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${what} did not happen within 30 s\n${server?.output() ?? ''}`);
  }

  it('completes after a restart, exactly once', async () => {
    writeFileSync(
      join(dir, 'storyflow.config.yaml'),
      `repositories:\n  - name: ${NAME}\n    provider: github\n    url: "${repo.url}"\n` +
        '    branch: main\n    stories: "stories/*.md"\n    writeBack: commit\n' +
        'git:\n  writeBackDelayMs: 0\n',
    );
    repo.write('stories/INT-42.md', '---\nid: INT-42\ntitle: Pay\nstatus: ready\n---\n\nBody\n');
    const seeded = repo.commit('add INT-42');
    repo.push();
    // The first push storyflow makes is held for 8 s, then refused; later ones pass.
    const started = join(repo.root, 'first-push-started');
    const hook = join(repo.bare, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      `#!/bin/sh\ncat >/dev/null\nif [ -e '${started}' ]; then exit 0; fi\n` +
        `touch '${started}'\nsleep 8\nexit 1\n`,
    );
    chmodSync(hook, 0o755);

    server = await start();
    expect((await api('POST', `/repositories/${ENCODED}/sync`)).status).toBe(200);
    expect((await api('POST', '/stories/INT-42/transitions', { to: 'in_progress' })).status).toBe(
      200,
    );
    await until('the first push', async () => existsSync(started), Boolean);
    await server.kill9();
    expect(repo.head()).toBe(seeded);

    server = await start();
    await until(
      'the write-back',
      async () => (await api('GET', `/repositories/${ENCODED}`)).body.writeBack?.pending,
      (pending) => pending === 0,
    );
    const commits = repo
      .gitBare('log', '--format=%H', '--grep=^Storyflow-Operation:', 'main')
      .split('\n')
      .filter(Boolean);
    expect(commits).toHaveLength(1);
    expect(repo.gitBare('rev-parse', 'main^')).toBe(seeded);
    expect(repo.gitBare('show', 'main:stories/INT-42.md')).toContain('status: in_progress');
  });
});
