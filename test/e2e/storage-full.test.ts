// The real server (bin/storyflow serve, SQLite file) whose files cannot grow past 2 MiB
// (`ulimit -f`, as a full disk): once writes fail, REST writes answer 503 `unavailable` with
// Retry-After (they answered 500 `internal`), /readyz answers 503 (it answered 200 while every
// large write failed), webhooks answer 503, reads still work and the process carries on. Run
// `npm run build` first (npm test does).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { githubExample } from '../providers/github/github-examples.js';
import { sendPush } from '../support/delivery-senders.js';
import {
  freePort,
  sleep,
  startServerProcess,
  useServerProcesses,
} from '../support/server-process.js';
import { GITHUB_SECRET, githubSignature } from '../support/webhooks.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
/** The largest file the server may write, in KiB: the fresh database and WAL take ~230 KiB each. */
const FILE_SIZE_LIMIT_KB = 2048;
/** Each story carries this much text, so ~20 of them fill the limit. */
const BODY = 'x'.repeat(100_000);

describe('a full disk under a real server process (SQLite file, ulimit -f)', () => {
  const { processes, tempDir } = useServerProcesses();

  it('REST writes and large webhooks answer 503 unavailable with Retry-After, /readyz 503, reads still work', async () => {
    const dir = tempDir('storyflow-full-');
    const server = await startServerProcess(
      {
        name: 'full-disk',
        cwd: dir,
        port: await freePort(),
        fileSizeLimitKb: FILE_SIZE_LIMIT_KB,
        env: {
          STORYFLOW_DATABASE_URL: `sqlite:${join(dir, 'storyflow.db')}`,
          STORYFLOW_GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
          STORYFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
          STORYFLOW_LOG_LEVEL: 'warn',
        },
      },
      processes,
    );
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const create = async (id: string) => {
      const response = await fetch(`${server.baseUrl}/api/v1/stories`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ id, title: 'fills the disk', body: BODY }),
      });
      return {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: (await response.json()) as { type?: string; detail?: string },
      };
    };

    // Writes succeed until the files reach the limit; the first one that does not is a 503.
    // `ulimit -f` bounds each file, not the disk: while only the WAL is at the limit, a
    // checkpoint can make room in it again and a later write may succeed. Once the database
    // file is at the limit too, no checkpoint can, and every write is refused the same way.
    let created = 0;
    let refused: Awaited<ReturnType<typeof create>> | undefined;
    let refusedInARow = 0;
    const otherAnswers: unknown[] = [];
    for (let n = 1; n <= 200 && refusedInARow < 3; n++) {
      const answer = await create(`FULL-${n}`);
      if (answer.status === 201) {
        created += 1;
        refusedInARow = 0;
        continue;
      }
      refused ??= answer;
      refusedInARow += 1;
      if (answer.status !== 503 || answer.body.type !== 'urn:storyflow:problem:unavailable') {
        otherAnswers.push({ status: answer.status, type: answer.body.type });
      }
    }
    expect(created, 'stories stored before the disk was full').toBeGreaterThan(0);
    expect(refused, 'a write was refused within 200 stories').toBeDefined();
    expect({ status: refused!.status, type: refused!.body.type }).toEqual({
      status: 503,
      type: 'urn:storyflow:problem:unavailable',
    });
    expect(Number(refused!.retryAfter)).toBeGreaterThan(0);
    // The real cause, not "cannot rollback - no transaction is active" nor a bare 500.
    expect(refused!.body.detail).toMatch(
      /database or disk is full \(SQLITE_FULL\)|disk I\/O error \(SQLITE_IOERR/,
    );
    // Every refusal, not only the first, is a 503 unavailable; and once both files are full
    // the writes stay refused.
    expect(otherAnswers).toEqual([]);
    expect(refusedInARow, 'writes stay refused once the files are full').toBe(3);

    // /readyz says so (it answered 200 while every large write failed).
    const ready = await fetch(`${server.baseUrl}/readyz`);
    const readyBody = (await ready.json()) as { type?: string; detail?: string };
    expect({ status: ready.status, type: readyBody.type }).toEqual({
      status: 503,
      type: 'urn:storyflow:problem:unavailable',
    });
    expect(ready.headers.get('retry-after')).toBe('5');
    expect(readyBody.detail).toMatch(/SQLITE_FULL|SQLITE_IOERR/);

    // A large webhook cannot be stored either: 503, never a 202 for a delivery that was not
    // kept. (Small writes may still fit in what is left, and are then stored and answered 202.)
    const payload = {
      ...githubExample('push', (p) => p.ref === 'refs/heads/master'),
      padding: BODY.repeat(5),
    };
    const body = JSON.stringify(payload);
    const delivery = await sendPush(server.baseUrl, randomUUID(), {
      body,
      signature: githubSignature(body, GITHUB_SECRET),
    });
    expect(delivery.kind === 'refused' ? delivery.status : delivery.kind).toBe(503);

    // Reads still work, and the process is alive.
    const read = await fetch(`${server.baseUrl}/api/v1/stories/FULL-1`, { headers });
    expect(read.status).toBe(200);
    await sleep(200);
    expect(server.gone, server.output().slice(-3000)).toBe(false);
  }, 60_000);
});
