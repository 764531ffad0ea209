// The real server (bin/storyflow serve) on a PostgreSQL cluster of the test's own, which the test
// stops (`pg_ctl stop -m fast`, then `-m immediate`) and starts again during a signed webhook
// burst: the process survives (a checked-out pg client used to emit an unhandled 'error' and end
// it), webhooks and REST writes answer 503 with Retry-After while the database is away, /readyz
// follows the database down and up, and every delivery acknowledged with 202 is stored and
// processed exactly once. Run `npm run build` first (npm test does).
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SendResult, sendPush, signedPushBody } from '../support/delivery-senders.js';
import {
  type PostgresCluster,
  postgresClusterUnavailable,
  startPostgresCluster,
} from '../support/postgres-cluster.js';
import {
  freePort,
  type ServerProcess,
  sleep,
  startServerProcess,
  useServerProcesses,
} from '../support/server-process.js';
import { GITHUB_SECRET } from '../support/webhooks.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const SENDERS = 12;
/** Acknowledged deliveries before each stop of the database server. */
const ACKS_BEFORE_STOP = 80;
/** How long the database stays away each time. */
const OUTAGE_MS = 1500;

const unavailable = await postgresClusterUnavailable();
if (unavailable !== undefined) {
  console.warn(`PostgreSQL restart tests skipped: ${unavailable}`);
}
const title = `PostgreSQL restarts under a running server${
  unavailable === undefined ? '' : ` (skipped: ${unavailable})`
}`;

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

async function readyStatus(server: ServerProcess): Promise<number> {
  const response = await fetch(`${server.baseUrl}/readyz`, { signal: AbortSignal.timeout(5000) });
  await response.arrayBuffer();
  return response.status;
}

/** Polls /readyz until it answers `status` (bounded); answers the last status seen. */
async function waitForReadiness(server: ServerProcess, status: number, ms = 15_000) {
  const deadline = Date.now() + ms;
  let last = 0;
  while (Date.now() < deadline) {
    last = await readyStatus(server).catch(() => 0);
    if (last === status) return last;
    await sleep(100);
  }
  return last;
}

describe.skipIf(unavailable !== undefined)(title, () => {
  const { processes, tempDir } = useServerProcesses();
  let cluster: PostgresCluster;
  let databases = 0;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.destroy();
  });

  /** A fresh database on the cluster and a server process on it. */
  async function startServer(name: string): Promise<{ server: ServerProcess; url: string }> {
    databases += 1;
    const database = `restart_${databases}`;
    await query(cluster.url(), `create database ${database}`);
    const dir = tempDir('storyflow-pg-restart-');
    const config = join(dir, 'storyflow.yaml');
    // Claims of a failed transaction are taken over after a second; failures retried after one.
    writeFileSync(
      config,
      'inbox:\n  leaseSeconds: 1\n  pollMs: 20\n  retrySchedule: [1, 1, 1, 1, 1, 1, 1, 1, 1]\n',
    );
    const url = cluster.url(database);
    const server = await startServerProcess(
      {
        name,
        cwd: dir,
        port: await freePort(),
        env: {
          STORYFLOW_DATABASE_URL: url,
          STORYFLOW_GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
          STORYFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
          STORYFLOW_LOG_LEVEL: 'warn',
          STORYFLOW_CONFIG: config,
        },
      },
      processes,
    );
    return { server, url };
  }

  it('survives `pg_ctl stop -m fast` and `-m immediate` during a signed burst; every 202 is stored and processed exactly once', async () => {
    const started = Date.now();
    const log = (message: string) =>
      console.log(`[pg-restart +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
    const { server, url } = await startServer('pg-restart');
    log('server ready');
    const signed = signedPushBody();
    /** GitHub delivery id → storyflow delivery id, for every 202. */
    const acked = new Map<string, string>();
    const statuses = new Map<string, number>();
    const refusals: string[] = [];
    let noAnswer = 0;
    const record = (deliveryId: string, result: SendResult) => {
      if (result.kind === 'acked') {
        const earlier = acked.get(deliveryId);
        if (earlier !== undefined) expect(result.delivery).toBe(earlier);
        acked.set(deliveryId, result.delivery);
        statuses.set('202', (statuses.get('202') ?? 0) + 1);
      } else if (result.kind === 'refused') {
        statuses.set(String(result.status), (statuses.get(String(result.status)) ?? 0) + 1);
        // While the database is away: 503 `unavailable`, asking to retry, naming the cause
        // without the database's address.
        if (
          result.status !== 503 ||
          !result.text.includes('urn:storyflow:problem:unavailable') ||
          result.text.includes(`:${cluster.port}`)
        ) {
          refusals.push(`${deliveryId}: ${result.status} ${result.text.slice(0, 300)}`);
        }
      } else {
        noAnswer += 1;
      }
    };

    // The senders run until `done` (paused while the test waits for /readyz, which keeps the
    // burst, and the backlog it leaves, small); refused deliveries are sent again, as GitHub's
    // redelivery would.
    let done = false;
    let paused = false;
    const retry: string[] = [];
    const sender = async () => {
      while (!done && !server.gone) {
        if (paused) {
          await sleep(20);
          continue;
        }
        const deliveryId = retry.shift() ?? randomUUID();
        const result = await sendPush(server.baseUrl, deliveryId, signed);
        record(deliveryId, result);
        if (result.kind !== 'acked' && retry.length < 1000) retry.push(deliveryId);
      }
    };
    const sending = Promise.all(Array.from({ length: SENDERS }, sender));
    const waitForAcks = async (count: number) => {
      const deadline = Date.now() + 20_000;
      while (acked.size < count && Date.now() < deadline && !server.gone) await sleep(10);
      expect(acked.size, 'deliveries acknowledged before the next stop').toBeGreaterThanOrEqual(
        count,
      );
    };

    for (const mode of ['fast', 'immediate'] as const) {
      await waitForAcks(acked.size + ACKS_BEFORE_STOP);
      const before = { ...Object.fromEntries(statuses) };
      await cluster.stop(mode);
      log(`pg_ctl stop -m ${mode} after ${acked.size} acknowledged`);
      await sleep(OUTAGE_MS / 2);
      expect(server.gone, `the server died:\n${server.output().slice(-3000)}`).toBe(false);
      expect(await waitForReadiness(server, 503), '/readyz while the database is away').toBe(503);
      // A REST write while the database is away: 503 `unavailable` with Retry-After.
      const write = await fetch(`${server.baseUrl}/api/v1/stories`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          id: `DOWN-${mode === 'fast' ? 1 : 2}`,
          title: 'written while down',
        }),
      });
      const problem = (await write.json()) as { type: string; detail: string };
      expect({ status: write.status, type: problem.type }).toEqual({
        status: 503,
        type: 'urn:storyflow:problem:unavailable',
      });
      expect(Number(write.headers.get('retry-after'))).toBeGreaterThan(0);
      await sleep(OUTAGE_MS / 2);
      await cluster.start();
      log(`started again; answers meanwhile ${JSON.stringify(Object.fromEntries(statuses))}`);
      expect(
        (statuses.get('503') ?? 0) - (before['503'] ?? 0),
        'webhooks answered 503 while the database was away',
      ).toBeGreaterThan(0);
      paused = true;
      expect(await waitForReadiness(server, 200), '/readyz once the database is back').toBe(200);
      paused = false;
    }
    // Acknowledgements resume once the database is back.
    await waitForAcks(acked.size + 20);
    done = true;
    await sending;
    expect(server.gone, `the server died:\n${server.output().slice(-3000)}`).toBe(false);
    expect(refusals).toEqual([]);
    expect(noAnswer, 'requests without an answer (the process survived)').toBe(0);
    log(`burst over: ${acked.size} acknowledged, ${JSON.stringify(Object.fromEntries(statuses))}`);

    // Every 202 is stored under its id and processed exactly once (one audit entry each).
    type Row = { delivery_id: string; id: string; status: string; processed: string };
    const deadline = Date.now() + 30_000;
    let rows: Row[] = [];
    let pending = Number.POSITIVE_INFINITY;
    while (pending > 0 && Date.now() < deadline) {
      rows = await query<Row>(
        url,
        `select d.delivery_id, d.id, d.status,
           (select count(*) from audit_entries a
             where a.action = 'delivery.processed' and a.target_id = d.id) as processed
         from deliveries d where d.provider = 'github'`,
      );
      pending = rows.filter((row) => row.status !== 'processed').length;
      if (pending > 0) await sleep(250);
    }
    const stored = new Map(rows.map((row) => [row.delivery_id, row]));
    for (const [deliveryId, storyflowId] of acked) {
      const row = stored.get(deliveryId);
      expect(row?.id, `acknowledged ${deliveryId}`).toBe(storyflowId);
      expect({ status: row?.status, processed: Number(row?.processed) }).toEqual({
        status: 'processed',
        processed: 1,
      });
    }
    expect(rows.filter((row) => Number(row.processed) > 1)).toEqual([]);
    const verify = await fetch(`${server.baseUrl}/api/v1/audit/verify`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(((await verify.json()) as { ok: boolean }).ok, 'the audit chain verifies').toBe(true);
    log(`all ${acked.size} acknowledged deliveries processed exactly once`);
  }, 90_000);
});
