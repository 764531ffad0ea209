// `storyflow ci` when the server is not there: a real server process on a SQLite file, stopped
// or SIGKILLed around the client's attempts, a proxy that answers 503 with Retry-After, and an
// address nobody listens on. The client (bin/storyflow, and the action's bundle, which is the
// same code) must end up reporting exactly once, or warn without failing the job.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, REPOSITORY, scratchDir } from '../support/ci-examples.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { jenkinsVariables } from '../support/jenkins-runner.js';
import { BIN } from '../support/run-cli.js';
import {
  freePort,
  killAll,
  type ServerProcess,
  startServerProcess,
} from '../support/server-process.js';

const ADMIN = 'retries-admin-token-0123456789';
const BUNDLE = join(REPO_ROOT, 'action/index.cjs');

interface ClientRun {
  child: ChildProcess;
  /** Resolves once stderr has a line matching the pattern. */
  waitFor(pattern: RegExp): Promise<void>;
  exited: Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>;
}

function startClient(script: string, args: string[], env: Record<string, string>): ClientRun {
  const started = Date.now();
  const child = spawn(process.execPath, [script, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(stderr)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>(
    (resolve) =>
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      }),
  );
  return {
    child,
    exited,
    waitFor: (pattern) =>
      pattern.test(stderr)
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            waiters.push({ pattern, resolve });
            exited.then(() => reject(new Error(`exited before ${pattern}:\n${stderr}`)));
          }),
  };
}

/** A Jenkins branch build of `branch` (a push → in_progress for the story of that branch). */
const branchBuild = (branch: string, number: number) =>
  jenkinsVariables({
    repository: REPOSITORY,
    branch,
    commit: `${number}`.padStart(40, 'c'),
    number,
  });

describe('the CI client against a server that goes away', () => {
  const processes: ServerProcess[] = [];
  let scratch: ReturnType<typeof scratchDir>;
  let port: number;
  let server: ServerProcess;
  let token: string;
  const start = async () => {
    server = await startServerProcess(
      {
        name: 'storyflow',
        cwd: scratch.dir,
        port,
        env: {
          STORYFLOW_DATABASE_URL: `sqlite:${join(scratch.dir, 'storyflow.db')}`,
          STORYFLOW_ADMIN_TOKEN: ADMIN,
          STORYFLOW_LOG_LEVEL: 'warn',
        },
      },
      processes,
    );
    return server;
  };
  const api = (method: string, path: string, json?: unknown) =>
    http(`http://127.0.0.1:${port}`, method, `/api/v1${path}`, {
      token: ADMIN,
      ...(json === undefined ? {} : { json }),
    });
  const ciDeliveries = async () =>
    (await api('GET', '/deliveries?provider=ci&limit=500')).body.items;
  const operationsOf = async (story: string) =>
    (await api('GET', `/operations?story=${story}&limit=500`)).body.items;

  beforeAll(async () => {
    scratch = scratchDir('retries');
    port = await freePort();
    await start();
    const imported = await api('POST', '/stories/import', {
      documents: fixtureStories().map((story) => story.text),
    });
    expect(imported.status).toBe(200);
    const created = await api('POST', '/tokens', {
      name: 'jenkins',
      scopes: ['ci:events'],
      repositories: [REPOSITORY],
    });
    token = created.body.token;
  });
  afterAll(async () => {
    await killAll(processes);
    scratch?.remove();
  });

  it('the server is down when the step starts: a later attempt gets through, once', async () => {
    const before = (await operationsOf('UI-007')).length;
    await server.kill9();
    // Up to 7 attempts (about 23 s of backoff): a loaded test machine restarts slowly.
    const client = startClient(BIN, ['ci', 'event', '--attempts', '7'], {
      ...branchBuild('ui-007-board-view', 101),
      STORYFLOW_URL: `http://127.0.0.1:${port}`,
      STORYFLOW_TOKEN: token,
    });
    // The first attempt failed (nobody listens); the server comes back on the same port.
    await client.waitFor(/cannot reach the server \(ECONNREFUSED\); retrying in/);
    await start();
    const result = await client.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('storyflow: UI-007 status: draft → in_progress\n');
    expect(result.stderr).toMatch(/\(attempt 2\/7\)/);
    expect(before).toBe(0);
    expect(await operationsOf('UI-007')).toHaveLength(1);
  });

  it('killed (SIGKILL) right after it answered: the retry is a replay, nothing applies twice', async () => {
    const proxy = await startFaultProxy(`http://127.0.0.1:${port}`);
    try {
      let restarted: Promise<unknown> = Promise.resolve();
      proxy.faults.push({
        kind: 'drop-after-answer',
        onAnswered: async () => {
          await server.kill9();
          restarted = start();
        },
      });
      const deliveriesBefore = (await ciDeliveries()).length;
      const env = {
        ...branchBuild('int-003-cicd-integration-endpoints', 102),
        STORYFLOW_URL: proxy.url,
        STORYFLOW_TOKEN: token,
      };
      const result = await startClient(BIN, ['ci', 'event', '--attempts', '7'], env).exited;
      await restarted;
      expect(result.code, result.stderr).toBe(0);
      const posts = proxy.requests.filter((request) => request.method === 'POST');
      expect(posts[0]?.outcome).toBe('dropped');
      expect(posts.at(-1)?.outcome).toBe(200);
      // One key for every attempt.
      expect(new Set(posts.map((request) => request.idempotencyKey)).size).toBe(1);
      // The answer the client finally got is the first one, replayed: its own first attempt's,
      // so it reports the change as its own.
      expect(result.stdout).toBe('storyflow: INT-003 status: draft → in_progress\n');
      expect(await ciDeliveries()).toHaveLength(deliveriesBefore + 1);
      expect(await operationsOf('INT-003')).toHaveLength(1);

      // Re-running the step (same run, same command) is the same request again — here with the
      // single-file client, which derives the same key as the full CLI.
      const rerun = await startClient(BUNDLE, ['ci', 'event'], env).exited;
      expect(rerun.code).toBe(0);
      // It says it changed nothing now, and what the first report did.
      expect(rerun.stdout).toBe(
        `storyflow: ci event was already reported; nothing changed now. The first report:\n${result.stdout}`,
      );
      expect(await ciDeliveries()).toHaveLength(deliveriesBefore + 1);
      expect(await operationsOf('INT-003')).toHaveLength(1);
      expect((await api('GET', '/stories/INT-003')).body.status).toBe('in_progress');
    } finally {
      await proxy.close();
    }
  });

  it('503 with Retry-After: 1 — the client waits that long, then gets through', async () => {
    const proxy = await startFaultProxy(`http://127.0.0.1:${port}`);
    try {
      proxy.faults.push({ kind: 'unavailable', retryAfter: '1' });
      const result = await startClient(BUNDLE, ['ci', 'event', '--status', 'failure'], {
        ...branchBuild('int-003-cicd-integration-endpoints', 103),
        STORYFLOW_URL: proxy.url,
        STORYFLOW_TOKEN: token,
      }).exited;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe(
        'storyflow: the server answered 503: busy; retrying in 1s (attempt 2/5)\n',
      );
      const [first, second] = proxy.requests;
      expect(first?.outcome).toBe(503);
      expect(second?.outcome).toBe(200);
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
      expect(result.stdout).toContain('INT-003 labels:');
    } finally {
      await proxy.close();
    }
  });

  it('409 for a key still in flight (a server that died holding it): the client waits past its five attempts, then gets through', async () => {
    const proxy = await startFaultProxy(`http://127.0.0.1:${port}`);
    try {
      for (let i = 0; i < 6; i++) proxy.faults.push({ kind: 'key-in-flight' });
      const result = await startClient(BUNDLE, ['ci', 'event', '--status', 'failure'], {
        ...branchBuild('int-003-cicd-integration-endpoints', 106),
        STORYFLOW_URL: proxy.url,
        STORYFLOW_TOKEN: token,
      }).exited;
      expect(result.code, result.stderr).toBe(0);
      const problem =
        'storyflow: the server answered 409: A request with this Idempotency-Key is still being ' +
        'processed; retry it later; asking again in 1s';
      expect(result.stderr).toBe(
        [0, 1, 2, 3, 4, 5]
          .map((waited) => `${problem} (${waited}s of 60s waited for it)\n`)
          .join(''),
      );
      expect(proxy.requests.map((request) => request.outcome)).toEqual([
        409, 409, 409, 409, 409, 409, 200,
      ]);
      expect(new Set(proxy.requests.map((request) => request.idempotencyKey)).size).toBe(1);
      expect(result.stdout).toContain('storyflow: ci event reported');
    } finally {
      await proxy.close();
    }
  });

  describe('unreachable for good', () => {
    let nowhere: string;
    beforeAll(async () => {
      nowhere = `http://127.0.0.1:${await freePort()}`;
    });
    const github = (runDir: string) => ({
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: REPOSITORY,
      GITHUB_REF: 'refs/heads/int-003-cicd-integration-endpoints',
      GITHUB_SHA: 'd'.repeat(40),
      GITHUB_RUN_ID: '77',
      GITHUB_EVENT_NAME: 'push',
      RUNNER_TEMP: runDir,
    });

    it('--fail-on-error: exit 3 after the attempts', async () => {
      const result = await startClient(BIN, ['ci', 'event', '--fail-on-error', '--attempts', '2'], {
        ...branchBuild('main', 104),
        STORYFLOW_URL: nowhere,
        STORYFLOW_TOKEN: token,
      }).exited;
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(
        /storyflow: cannot reach the server \(ECONNREFUSED\); retrying in [\d.]+s \(attempt 2\/2\)\nstoryflow: cannot reach the server \(ECONNREFUSED\) \(after 2 attempts\)\n$/,
      );
    });

    it('by default: exit 0 and a warning (a GitHub annotation on GitHub, WARNING elsewhere)', async () => {
      const onJenkins = startClient(BIN, ['ci', 'event', '--attempts', '1'], {
        ...branchBuild('main', 105),
        STORYFLOW_URL: nowhere,
        STORYFLOW_TOKEN: token,
      }).exited;
      const onGithub = startClient(BUNDLE, [], {
        ...github(scratch.dir),
        INPUT_URL: nowhere,
        INPUT_TOKEN: token,
        INPUT_COMMAND: 'event',
        INPUT_ARGS: '--attempts 1',
      }).exited;
      const failing = startClient(BUNDLE, [], {
        ...github(scratch.dir),
        INPUT_URL: nowhere,
        INPUT_TOKEN: token,
        INPUT_COMMAND: 'event',
        INPUT_ARGS: '--attempts 1',
        'INPUT_FAIL-ON-ERROR': 'true',
      }).exited;
      const jenkins = await onJenkins;
      expect(jenkins.code).toBe(0);
      expect(jenkins.stderr).toBe(
        'WARNING: storyflow: cannot reach the server (ECONNREFUSED) (after 1 attempt); the job goes on (use --fail-on-error to fail it)\n',
      );
      const action = await onGithub;
      expect(action.code).toBe(0);
      expect(action.stderr).toMatch(/^::warning::storyflow: cannot reach the server/);
      const failed = await failing;
      expect(failed.code).toBe(3);
      expect(failed.stderr).toMatch(/^::error::storyflow: cannot reach the server/);
    });
  });
});
