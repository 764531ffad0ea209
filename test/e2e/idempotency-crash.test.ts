// A server SIGKILLed while it runs a request that holds an Idempotency-Key: the request's
// transaction is lost with the process, its claim stays in the database, and a retry with the
// key must be applied once after the claim's lease has run out — not refused for a minute, and
// never applied twice. A real `bin/storyflow serve` on a SQLite file; the claim is read from the
// file to kill the process while the request runs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { http } from '../support/http.js';
import {
  freePort,
  type ServerProcess,
  sleep,
  startServerProcess,
  useServerProcesses,
} from '../support/server-process.js';

const ADMIN = 'idempotency-crash-admin-token-0123';
// idempotency.inFlightTimeoutSeconds, longer than the 10 s default so that restarting the server
// on a slow machine cannot outlast the lease: step 2 always sees the key still held.
const LEASE_MS = 20_000;
const STORIES = 1_000; // the most one batch holds: it runs long enough to be killed in

interface KeyRow {
  state: string;
  lease_until: string | null;
}

describe('an Idempotency-Key held by a server that is killed', () => {
  const { processes, tempDir } = useServerProcesses();

  it('is refused while its lease runs, then taken over and applied once', async () => {
    const dir = tempDir('storyflow-idem-crash-');
    const databaseFile = join(dir, 'storyflow.db');
    const port = await freePort();
    writeFileSync(
      join(dir, 'storyflow.config.yaml'),
      `idempotency:\n  inFlightTimeoutSeconds: ${LEASE_MS / 1000}\n`,
    );
    const start = (name: string): Promise<ServerProcess> =>
      startServerProcess(
        {
          name,
          cwd: dir,
          port,
          env: {
            STORYFLOW_DATABASE_URL: `sqlite:${databaseFile}`,
            STORYFLOW_ADMIN_TOKEN: ADMIN,
            STORYFLOW_LOG_LEVEL: 'warn',
          },
        },
        processes,
      );
    const batch = {
      atomic: true,
      operations: Array.from({ length: STORIES }, (_, index) => ({
        op: 'create',
        story: { id: `CRASH-${index + 1}`, title: `Story ${index + 1}` },
      })),
    };
    const post = (key: string) =>
      http(`http://127.0.0.1:${port}`, 'POST', '/api/v1/batch', {
        token: ADMIN,
        json: batch,
        headers: { 'idempotency-key': key },
      });
    const storyCount = () => {
      const reader = new Database(databaseFile, { readonly: true });
      try {
        return reader.prepare<[], { n: number }>('select count(*) as n from stories').get()?.n;
      } finally {
        reader.close();
      }
    };

    // 1. Kill the first server once the key is claimed and while the batch still runs. Should
    // the batch win the race (finish before the kill), try again with a new key.
    let key = '';
    let claim: KeyRow | undefined;
    for (let attempt = 1; attempt <= 3 && claim === undefined; attempt++) {
      const server = await start(`first-${attempt}`);
      key = `crash-batch-${attempt}`;
      const answer = post(key).then(
        (result) => ({ answered: result.status }),
        () => ({ answered: 'no answer' as const }),
      );
      const reader = new Database(databaseFile, { readonly: true });
      const keyRow = reader.prepare<[string], KeyRow>(
        'select state, lease_until from idempotency_keys where idempotency_key = ?',
      );
      try {
        for (let polls = 0; polls < 2_000 && keyRow.get(key) === undefined; polls++) await sleep(2);
        await server.kill9();
        const row = keyRow.get(key);
        if (row?.state === 'in_flight') claim = row;
      } finally {
        reader.close();
      }
      if (claim !== undefined) expect((await answer).answered).toBe('no answer');
    }
    expect(claim, 'the server was killed while the batch held its key').toBeDefined();
    const leaseUntil = Date.parse(claim?.lease_until ?? '');
    expect(leaseUntil).toBeGreaterThan(Date.now());

    // 2. Restarted: nothing of the batch was applied, and its key is still held.
    await start('second');
    const before = storyCount();
    expect(before).toBe(0);
    const refused = await post(key);
    expect(Date.now(), 'the retry was refused before the lease ran out').toBeLessThan(leaseUntil);
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('urn:storyflow:problem:idempotency-key-in-flight');
    expect(refused.headers.get('retry-after')).toBe('1');

    // 3. Retried once a second, as storyflow ci does: applied once the lease has run out.
    let taken = refused;
    while (taken.status === 409 && Date.now() < leaseUntil + 5_000) {
      await sleep(1_000);
      taken = await post(key);
    }
    expect(taken.status, JSON.stringify(taken.body)).toBe(200);
    expect(Date.now()).toBeGreaterThanOrEqual(leaseUntil);
    expect(Date.now() - (leaseUntil - LEASE_MS)).toBeLessThan(LEASE_MS + 5_000);
    expect(taken.headers.get('idempotent-replayed')).toBeNull();
    expect(storyCount()).toBe(STORIES);

    // 4. Retried again: the same answer, replayed, and nothing more.
    const replayed = await post(key);
    expect(replayed.status).toBe(200);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.text).toBe(taken.text);
    expect(storyCount()).toBe(STORIES);
  }, 90_000);
});
