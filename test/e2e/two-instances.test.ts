// Two real server processes (bin/storyflow serve) sharing one PostgreSQL schema: deliveries
// posted to either are stored once, redeliveries to the other one are recognised, and the
// inbox workers of both split the work without processing anything twice. Run `npm run build`
// first (npm test does).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { runSenders, type SendJob, signedPushBody } from '../support/delivery-senders.js';
import {
  freePort,
  killAll,
  readCounter,
  type ServerProcess,
  sleep,
  startServerProcess,
} from '../support/server-process.js';
import {
  dropPostgresSchema,
  POSTGRES_URL_VARIABLE,
  postgresTestUrl,
  uniqueSchemaName,
} from '../support/store-factories.js';
import { GITHUB_SECRET } from '../support/webhooks.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const TOTAL = 2000;
const IN_FLIGHT = 16;
/** Every REDELIVER_EVERY-th acknowledged delivery is sent again, to the other instance. */
const REDELIVER_EVERY = 20;

/** The test URL with every pooled connection's search_path set to `schema`. */
function urlWithSearchPath(url: string, schema: string): string {
  const options = encodeURIComponent(`-c search_path=${schema}`);
  return `${url}${url.includes('?') ? '&' : '?'}options=${options}`;
}

const postgresUrl = postgresTestUrl();
const describePostgres = postgresUrl ? describe : describe.skip;
const title = postgresUrl
  ? 'two server processes on one PostgreSQL database'
  : `two server processes on one PostgreSQL database (set ${POSTGRES_URL_VARIABLE})`;

describePostgres(title, () => {
  const processes: ServerProcess[] = [];
  const schemas: string[] = [];
  const directories: string[] = [];

  afterEach(async () => {
    await killAll(processes);
    for (const schema of schemas.splice(0)) await dropPostgresSchema(schema);
    for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('two server processes on one PostgreSQL database process 2,000 deliveries each exactly once', async () => {
    const url = postgresUrl!;
    const started = Date.now();
    const log = (message: string) =>
      console.log(`[two-instances +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
    const schema = uniqueSchemaName('sf_e2e');
    schemas.push(schema);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // The server only creates a schema it was given as an option, not one named in the URL.
      await client.query(`create schema "${schema}"`);
      const dir = mkdtempSync(join(tmpdir(), 'storyflow-two-'));
      directories.push(dir);
      writeFileSync(join(dir, 'storyflow.config.yaml'), 'inbox:\n  pollMs: 20\n');
      const env = {
        STORYFLOW_DATABASE_URL: urlWithSearchPath(url, schema),
        STORYFLOW_GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
        STORYFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
        STORYFLOW_LOG_LEVEL: 'warn',
      };
      // Both start at once: the migrations must cope with a concurrent instance.
      const [portA, portB] = [await freePort(), await freePort()];
      const [a, b] = await Promise.all([
        startServerProcess({ name: 'A', cwd: dir, port: portA, env }, processes),
        startServerProcess({ name: 'B', cwd: dir, port: portB, env }, processes),
      ]);
      log('both instances ready');
      const { rows: tables } = await client.query<{ n: string }>(
        "select count(*) as n from information_schema.tables where table_schema = $1 and table_name = 'deliveries'",
        [schema],
      );
      expect(Number(tables[0]!.n), 'the tables live in the test schema').toBe(1);

      const instances = [a, b];
      const signed = signedPushBody();
      const ids = Array.from({ length: TOTAL }, () => randomUUID());
      /** GitHub delivery id → [storyflow id, index of the instance that acknowledged it]. */
      const acked = new Map<string, { delivery: string; instance: number }>();
      const redeliveries: SendJob[] = [];
      const redeliveryAnswers: { deliveryId: string; expected: string; answer: unknown }[] = [];
      const problems: string[] = [];
      let cursor = 0;
      await runSenders({
        concurrency: IN_FLIGHT,
        signed,
        next: () => {
          const redelivery = redeliveries.shift();
          if (redelivery !== undefined) return redelivery;
          if (cursor >= TOTAL) return undefined;
          const index = cursor++;
          return { deliveryId: ids[index]!, baseUrl: instances[index % 2]!.baseUrl };
        },
        onResult: (job, result) => {
          const first = acked.get(job.deliveryId);
          if (first !== undefined) {
            redeliveryAnswers.push({
              deliveryId: job.deliveryId,
              expected: first.delivery,
              answer: result,
            });
            return;
          }
          if (result.kind !== 'acked' || result.duplicate) {
            problems.push(`${job.deliveryId}: ${JSON.stringify(result)}`);
            return;
          }
          const instance = job.baseUrl === a.baseUrl ? 0 : 1;
          acked.set(job.deliveryId, { delivery: result.delivery, instance });
          if (acked.size % REDELIVER_EVERY === 0) {
            // GitHub's manual redelivery, landing on the other instance.
            redeliveries.push({
              deliveryId: job.deliveryId,
              baseUrl: instances[1 - instance]!.baseUrl,
            });
          }
        },
      });
      log(`${acked.size} acknowledged, ${redeliveryAnswers.length} redeliveries answered`);
      expect(problems).toEqual([]);
      expect(acked.size).toBe(TOTAL);
      expect(redeliveryAnswers.length).toBe(TOTAL / REDELIVER_EVERY);
      for (const { deliveryId, expected, answer } of redeliveryAnswers) {
        expect(answer, `redelivery of ${deliveryId}`).toEqual({
          kind: 'acked',
          delivery: expected,
          duplicate: true,
        });
      }

      const deadline = Date.now() + 60_000;
      let counts: Record<string, number> = {};
      for (;;) {
        const { rows } = await client.query<{ status: string; n: string }>(
          `select status, count(*) as n from "${schema}".deliveries group by status`,
        );
        counts = Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
        const waiting = (counts.pending ?? 0) + (counts.processing ?? 0) + (counts.failed ?? 0);
        if (waiting === 0 || Date.now() > deadline) break;
        await sleep(100);
      }
      log(`backlog drained: ${JSON.stringify(counts)}`);
      expect(counts).toEqual({ processed: TOTAL });

      const { rows: stored } = await client.query<{ id: string; delivery_id: string }>(
        `select id, delivery_id from "${schema}".deliveries where provider = 'github'`,
      );
      expect(stored.length).toBe(TOTAL);
      const storedIds = new Map(stored.map((row) => [row.delivery_id, row.id]));
      for (const [deliveryId, { delivery }] of acked) {
        expect(storedIds.get(deliveryId), deliveryId).toBe(delivery);
      }
      const { rows: audit } = await client.query<{ delivery_id: string; n: string }>(
        `select delivery_id, count(*) as n from "${schema}".audit_entries
         where action = 'delivery.processed' group by delivery_id`,
      );
      expect(audit.length).toBe(TOTAL);
      const known = new Set(storedIds.values());
      for (const entry of audit) {
        expect(known.has(entry.delivery_id), entry.delivery_id).toBe(true);
        expect(Number(entry.n), `audit entries of ${entry.delivery_id}`).toBe(1);
      }
      const { rows: actions } = await client.query<{ action: string; n: string }>(
        `select action, count(*) as n from "${schema}".audit_entries
         where action like 'delivery.%' group by action`,
      );
      expect(actions.map((row) => [row.action, Number(row.n)])).toEqual([
        ['delivery.processed', TOTAL],
      ]);

      for (const instance of instances) {
        const verify = await fetch(`${instance.baseUrl}/api/v1/audit/verify`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        expect(verify.status).toBe(200);
        expect(await verify.json()).toMatchObject({ ok: true, checked: TOTAL });
      }

      // Who did the work: every delivery counted once in all, by one instance or the other.
      const processedBy = await Promise.all(
        instances.map((instance) =>
          readCounter(instance.baseUrl, 'storyflow_deliveries_processed_total', {
            status: 'processed',
          }),
        ),
      );
      const receivedBy = instances.map(
        (_, index) => [...acked.values()].filter((entry) => entry.instance === index).length,
      );
      log(`received by A/B: ${receivedBy.join('/')}; processed by A/B: ${processedBy.join('/')}`);
      expect(processedBy[0]! + processedBy[1]!).toBe(TOTAL);
      expect(processedBy[0], 'instance A processed some').toBeGreaterThan(0);
      expect(processedBy[1], 'instance B processed some').toBeGreaterThan(0);

      await Promise.all(instances.map((instance) => instance.stop()));
      for (const instance of instances) {
        expect(await instance.exited, `${instance.name} stopped cleanly`).toEqual({
          code: 0,
          signal: null,
        });
      }
      const errors = processes
        .flatMap((server) => server.output().split('\n'))
        .filter((line) => line.includes('"level":50'));
      if (errors.length > 0) log(`errors logged:\n${errors.slice(0, 5).join('\n')}`);
    } finally {
      await client.end();
    }
  }, 90_000);
});
