// The real executable: bin/storyflow as users run it (built by `npm install` / `npm test`).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureStories } from '../support/fixture-stories.js';
import { runBin } from '../support/run-cli.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('bin/storyflow', () => {
  it('prints help for every command and exits 0', async () => {
    const top = await runBin(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['serve', 'import', 'export']) expect(top.stdout).toContain(command);
    const sub = await runBin(['import', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--url');
  });

  it('exits 2 on a usage error and 3 when the server cannot be reached', async () => {
    expect((await runBin(['export'])).code).toBe(2);
    // A folder with a story in it: an empty one would have nothing to send.
    const stories = mkdtempSync(join(tmpdir(), 'storyflow-unreachable-'));
    writeFileSync(join(stories, 'INT-003.md'), fixtureStories()[0]!.text);
    const unreachable = await runBin(['import', stories], { STORYFLOW_URL: 'http://127.0.0.1:9' });
    expect(unreachable.code).toBe(3);
  });

  it('serve refuses a bad config file with a message naming the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storyflow-badconf-'));
    writeFileSync(join(dir, 'storyflow.config.yaml'), 'server:\n  port: eighty\n');
    const run = await runBin(['serve'], {}, { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('server.port');
  });

  /** One clean line naming the setting, no stack trace, exit 2 (a usage error). */
  function expectCleanConfigError(run: { code: number; stderr: string }, key: string) {
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^storyflow: invalid configuration: ${key}: `));
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }

  it.each(['sqlite://x', 'mysql://x', 'postgres://h:99999/db', '', 'garbage'])(
    'serve with STORYFLOW_DATABASE_URL=%j exits 2 with one line naming the variable',
    async (url) => {
      const dir = mkdtempSync(join(tmpdir(), 'storyflow-badurl-'));
      // Should the URL be accepted, the server starts and is killed: the exit code shows it.
      const env = { STORYFLOW_DATABASE_URL: url, STORYFLOW_PORT: '0', STORYFLOW_HOST: '127.0.0.1' };
      const run = await runBin(['serve'], env, { cwd: dir, timeoutMs: 15_000 });
      expectCleanConfigError(run, 'STORYFLOW_DATABASE_URL');
    },
  );

  it('serve --database-url and token bootstrap --database-url go through the same parser', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storyflow-badurl-'));
    const env = { STORYFLOW_PORT: '0', STORYFLOW_HOST: '127.0.0.1' };
    const options = { cwd: dir, timeoutMs: 15_000 };
    const serve = await runBin(['serve', '--database-url', 'sqlite://x'], env, options);
    expectCleanConfigError(serve, 'STORYFLOW_DATABASE_URL');
    const bootstrap = await runBin(
      ['token', 'bootstrap', '--database-url', 'postgres://u:hunter2@h:99999/db'],
      env,
      options,
    );
    expectCleanConfigError(bootstrap, 'STORYFLOW_DATABASE_URL');
    expect(bootstrap.stderr).not.toContain('hunter2');
  });

  it('serve with database.url: sqlite://x in the config file names the file key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storyflow-badurl-'));
    writeFileSync(join(dir, 'storyflow.config.yaml'), 'database:\n  url: "sqlite://x"\n');
    const env = { STORYFLOW_PORT: '0', STORYFLOW_HOST: '127.0.0.1' };
    const run = await runBin(['serve'], env, { cwd: dir, timeoutMs: 15_000 });
    expectCleanConfigError(run, 'database.url');
  });

  it('serve starts on STORYFLOW_PORT with a file SQLite database, keeps stories across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storyflow-serve-'));
    const port = await freePort();
    const token = 'bin-test-admin-token-0123456789';
    const env = {
      STORYFLOW_PORT: String(port),
      STORYFLOW_HOST: '127.0.0.1',
      STORYFLOW_LOG_LEVEL: 'warn',
      STORYFLOW_ADMIN_TOKEN: token,
    };
    const authorization = { authorization: `Bearer ${token}` };
    const story = fixtureStories().find((s) => s.id === 'INT-003')!;

    const serveOnce = async (action: (base: string) => Promise<void>) => {
      const { spawn } = await import('node:child_process');
      const { BIN } = await import('../support/run-cli.js');
      const child = spawn(process.execPath, [BIN, 'serve'], {
        cwd: dir,
        env: { PATH: process.env.PATH, ...env },
        stdio: 'ignore',
      });
      const base = `http://127.0.0.1:${port}`;
      try {
        for (let i = 0; i < 100; i++) {
          const ok = await fetch(`${base}/readyz`).then(
            (r) => r.ok,
            () => false,
          );
          if (ok) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await action(base);
      } finally {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
    };

    await serveOnce(async (base) => {
      const answer = await fetch(`${base}/api/v1/stories/import`, {
        method: 'POST',
        headers: { 'content-type': 'text/markdown', ...authorization },
        body: story.text,
      });
      expect(answer.status).toBe(200);
    });
    await serveOnce(async (base) => {
      const exported = await fetch(`${base}/api/v1/stories/INT-003.md`, { headers: authorization });
      expect(Buffer.from(await exported.arrayBuffer()).equals(story.bytes)).toBe(true);
    });
  });
});
