// A `serve` process whose database or event loop is stuck, or that holds a request that never
// completes, observed from outside: writes fail with 503 within the write-lock bound instead of
// hanging, /readyz says so, and SIGTERM ends the process within the documented grace period.
// The stuck states are made from the test process only: SQLite's write lock taken on the same
// file by another connection (BEGIN IMMEDIATE), SIGSTOP, or a client that never finishes its
// request body. Run `npm run build` first (npm test does).
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { signedPushBody } from '../support/delivery-senders.js';
import { postgresServeUrl } from '../support/postgres-serve-url.js';
import {
  freePort,
  type ServerProcess,
  sleep,
  startServerProcess,
  useServerProcesses,
} from '../support/server-process.js';
import { POSTGRES_URL_VARIABLE, postgresTestUrl } from '../support/store-factories.js';
import { GITHUB_SECRET } from '../support/webhooks.js';

const postgresUrl = postgresTestUrl();

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const LOCK_TIMEOUT_SECONDS = 1;
const GRACE_SECONDS = 2;
/** cli/main.ts: after the grace period, closing threads and the store may take this long. */
const MARGIN_MS = 3000;
/** Slack for a loaded machine on top of every bound (a hang is unbounded, so still fails). */
const SLACK_MS = 4000;

describe('a stuck serve process (SQLite file)', () => {
  const { processes, tempDir } = useServerProcesses();
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  async function start(
    databaseUrl?: string,
    env: Record<string, string> = {},
  ): Promise<{ server: ServerProcess; filename: string }> {
    const dir = tempDir('storyflow-stuck-');
    const filename = join(dir, 'storyflow.db');
    const server = await startServerProcess(
      {
        name: 'stuck',
        cwd: dir,
        port: await freePort(),
        env: {
          STORYFLOW_DATABASE_URL: databaseUrl ?? `sqlite:${filename}`,
          STORYFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
          STORYFLOW_GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
          STORYFLOW_LOG_LEVEL: 'fatal',
          STORYFLOW_WRITE_LOCK_TIMEOUT_SECONDS: String(LOCK_TIMEOUT_SECONDS),
          STORYFLOW_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
          ...env,
        },
      },
      processes,
    );
    return { server, filename };
  }

  /** Takes SQLite's write lock on `filename` from this process, as another program could. */
  function holdSqliteLock(filename: string): () => void {
    const db = new SqliteDatabase(filename);
    db.pragma('busy_timeout = 2000');
    db.exec('begin immediate');
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      db.exec('rollback');
      db.close();
    };
    cleanups.push(release);
    return release;
  }

  /** A signed push whose writer thread then waits on SQLite's lock, holding the shared one. */
  function postWebhook(server: ServerProcess): Promise<number | 'no answer'> {
    const signed = signedPushBody();
    return fetch(`${server.baseUrl}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signed.signature,
      },
      body: signed.body,
      signal: AbortSignal.timeout(30_000),
    }).then(
      async (response) => {
        await response.arrayBuffer();
        return response.status;
      },
      () => 'no answer' as const,
    );
  }

  async function readyz(server: ServerProcess): Promise<{ status: number; body: any }> {
    const response = await fetch(`${server.baseUrl}/readyz`, {
      signal: AbortSignal.timeout(5000),
    });
    return { status: response.status, body: await response.json() };
  }

  /** Polls /readyz until `accept` holds (or `withinMs` passes); the last answer. */
  async function readyzUntil(
    server: ServerProcess,
    accept: (answer: { status: number; body: any }) => boolean,
    withinMs: number,
  ): Promise<{ status: number; body: any }> {
    const deadline = Date.now() + withinMs;
    let answer = await readyz(server);
    while (!accept(answer) && Date.now() < deadline) {
      await sleep(100);
      answer = await readyz(server);
    }
    return answer;
  }

  /** Sends SIGTERM; resolves with how long the process took to exit (or 'still running'). */
  async function sigterm(server: ServerProcess, withinMs: number) {
    const started = Date.now();
    server.child.kill('SIGTERM');
    const outcome = await Promise.race([
      server.exited.then(() => Date.now() - started),
      sleep(withinMs).then(() => 'still running' as const),
    ]);
    return outcome;
  }

  it('a write that waits on the write lock longer than the bound answers 503 unavailable with Retry-After, and /readyz is 503 meanwhile', async () => {
    const { server, filename } = await start();
    const release = holdSqliteLock(filename);
    const webhook = postWebhook(server);
    // The writer thread now holds storyflow's own write lock while SQLite makes it wait.
    const stuck = await readyzUntil(server, (answer) => answer.status === 503, 10_000);
    expect(stuck.status).toBe(503);
    expect(stuck.body).toMatchObject({ type: 'urn:storyflow:problem:unavailable' });
    expect(stuck.body.detail).toContain('write lock has been held');

    const started = Date.now();
    const write = await fetch(`${server.baseUrl}/api/v1/stories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'LOCK-1', title: 'Waits for the lock' }),
      signal: AbortSignal.timeout(LOCK_TIMEOUT_SECONDS * 1000 + SLACK_MS),
    });
    const elapsed = Date.now() - started;
    expect(write.status).toBe(503);
    expect(write.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(write.headers.get('retry-after')).toBe('1');
    const problem = (await write.json()) as any;
    expect(problem).toMatchObject({ type: 'urn:storyflow:problem:unavailable', status: 503 });
    expect(problem.detail).toContain('write lock');
    expect(elapsed).toBeGreaterThanOrEqual(LOCK_TIMEOUT_SECONDS * 1000 - 50);

    // Reads do not need the lock and still answer.
    const read = await fetch(`${server.baseUrl}/api/v1/stories`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      signal: AbortSignal.timeout(SLACK_MS),
    });
    expect(read.status).toBe(200);

    // Once the lock is free again, the same write goes through and /readyz recovers.
    release();
    await webhook;
    const recovered = await readyzUntil(server, (answer) => answer.status === 200, 15_000);
    expect(recovered.status).toBe(200);
    const retried = await fetch(`${server.baseUrl}/api/v1/stories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'LOCK-1', title: 'Waits for the lock' }),
      signal: AbortSignal.timeout(SLACK_MS * 2),
    });
    expect(retried.status).toBe(201);
  }, 60_000);

  it('/readyz is 503 after the event loop was stopped for longer than the threshold, and 200 again later', async () => {
    // A lock bound longer than the stop: a thread frozen while holding the lock is not the
    // reason looked for here.
    const { server } = await start(undefined, { STORYFLOW_WRITE_LOCK_TIMEOUT_SECONDS: '30' });
    expect((await readyz(server)).status).toBe(200);
    server.child.kill('SIGSTOP');
    await sleep(6500);
    server.child.kill('SIGCONT');
    const stuck = await readyz(server);
    expect(stuck.status).toBe(503);
    expect(stuck.body.detail).toContain('event loop was blocked');
    // /healthz is liveness only: the process answers.
    const health = await fetch(`${server.baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
    expect(health.status).toBe(200);
    const recovered = await readyzUntil(server, (answer) => answer.status === 200, 20_000);
    expect(recovered.status).toBe(200);
  }, 60_000);

  /** Starts a request whose body never completes: it stays in flight until the server ends it. */
  async function requestThatNeverCompletes(server: ServerProcess): Promise<void> {
    const port = Number(new URL(server.baseUrl).port);
    const socket: Socket = connect(port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      'POST /api/v1/stories HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        `Authorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 1000\r\n\r\n{"id":',
    );
    await sleep(300);
  }

  it(`SIGTERM ends a server holding a request that never completes within the grace period (${GRACE_SECONDS} s), exit status 0`, async () => {
    const { server } = await start();
    await requestThatNeverCompletes(server);
    const took = await sigterm(server, GRACE_SECONDS * 1000 + MARGIN_MS + SLACK_MS);
    expect(took, server.output().slice(-2000)).not.toBe('still running');
    expect(took as number).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000 - 100);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output()).not.toContain('FATAL');
  }, 60_000);

  it.skipIf(postgresUrl === undefined)(
    `PostgreSQL: SIGTERM ends a server holding a request that never completes within the grace period${postgresUrl === undefined ? ` (set ${POSTGRES_URL_VARIABLE})` : ''}`,
    async () => {
      const serve = await postgresServeUrl(postgresUrl!, 'sf_stuck');
      try {
        const { server } = await start(serve.databaseUrl);
        await requestThatNeverCompletes(server);
        const took = await sigterm(server, GRACE_SECONDS * 1000 + MARGIN_MS + SLACK_MS);
        expect(took, server.output().slice(-2000)).not.toBe('still running');
        expect(await server.exited).toEqual({ code: 0, signal: null });
      } finally {
        await serve.drop();
      }
    },
    60_000,
  );

  it('SIGTERM ends a server whose threads and requests wait on a SQLite lock another process holds, within the grace period plus the margin', async () => {
    const { server, filename } = await start();
    holdSqliteLock(filename);
    const webhook = postWebhook(server);
    await readyzUntil(server, (answer) => answer.status === 503, 10_000);
    const took = await sigterm(server, GRACE_SECONDS * 1000 + MARGIN_MS + SLACK_MS);
    expect(took, server.output().slice(-2000)).not.toBe('still running');
    expect(server.output()).not.toContain('FATAL');
    // The webhook got an answer or lost its connection; it did not keep the process alive.
    expect([503, 'no answer']).toContain(await webhook);
  }, 60_000);
});
