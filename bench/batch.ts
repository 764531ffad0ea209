// Batch write benchmark (`npm run bench:batch`): prints figures, asserts nothing.
//
// The app runs in this process on a loopback port; every batch goes through HTTP (fetch), so
// the figures include parsing, validation, serialization and the database. Per dialect:
// 1,000 stories are created (one batch), one atomic batch of 1,000 transitions warms up, then
// `--batches` atomic batches of 1,000 transitions each (every story draft ⇄ ready) are timed.
//
//   tsx bench/batch.ts [--batches 10] [--operations 1000] [--only sqlite,postgres]
//
// SQLite: a file database in a temporary directory (WAL, as `serve` runs it). PostgreSQL: runs
// when STORYFLOW_TEST_POSTGRES_URL is set, in a fresh schema that is dropped afterwards.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { compose } from '../src/compose.js';
import { loadConfig } from '../src/config/load-config.js';
import { createApp } from '../src/http/create-app.js';
import { openStore } from '../src/storage/open-store.js';
import type { Store } from '../src/storage/store.js';

const ADMIN_TOKEN = 'bench-admin-token-0123456789';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '10' },
    operations: { type: 'string', default: '1000' },
    only: { type: 'string', default: 'sqlite,postgres' },
  },
});
const BATCHES = Number(values.batches);
const OPERATIONS = Number(values.operations);
const ONLY = new Set(values.only.split(','));

interface Figures {
  dialect: string;
  batches: number;
  operations: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
  /** Median CPU time of this process (server and client) per batch. */
  cpuMedianMs: number;
}

async function measure(dialect: string, store: Store): Promise<Figures> {
  const config = {
    ...loadConfig({ env: { STORYFLOW_ADMIN_TOKEN: ADMIN_TOKEN }, cwd: '/nonexistent' }),
    // A benchmark sends faster than a person: lift the per-token budget out of the way.
    rateLimits: {
      perToken: { limit: 1_000_000, windowMs: 60_000 },
      perAddress: { limit: 1_000_000, windowMs: 60_000 },
      authFailures: { limit: 30, windowMs: 60_000 },
      webhookRefusals: { limit: 60, windowMs: 60_000 },
    },
    inbox: { ...loadConfig({ cwd: '/nonexistent' }).inbox, workers: false },
  };
  const logger = pino({ level: 'silent' });
  const composition = await compose({ config, logger, store, threads: false });
  const app = await createApp({ config, logger, services: composition.services });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    let cpuMs = 0;
    const send = async (operations: unknown[]) => {
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const response = await fetch(`${url}/api/v1/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ atomic: true, operations }),
      });
      const text = await response.text();
      const elapsed = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      cpuMs = (cpu.user + cpu.system) / 1000;
      if (response.status !== 200) {
        throw new Error(`batch answered ${response.status}: ${text.slice(0, 500)}`);
      }
      return elapsed;
    };
    const ids = Array.from({ length: OPERATIONS }, (_, i) => `BEN-${i + 1}`);
    await send(
      ids.map((id) => ({
        op: 'create',
        story: {
          id,
          title: `Benchmark story ${id}`,
          labels: ['bench', 'batch'],
          body: `# ${id}\n`,
        },
      })),
    );
    let status = 'draft';
    const transitions = () => {
      status = status === 'draft' ? 'ready' : 'draft';
      return ids.map((id) => ({ op: 'transition', id, to: status }));
    };
    await send(transitions()); // warm-up
    const times: number[] = [];
    const cpuTimes: number[] = [];
    for (let i = 0; i < BATCHES; i++) {
      times.push(await send(transitions()));
      cpuTimes.push(cpuMs);
    }
    cpuTimes.sort((a, b) => a - b);
    const sorted = [...times].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
    return {
      dialect,
      batches: BATCHES,
      operations: OPERATIONS,
      medianMs: at(0.5),
      p90Ms: at(0.9),
      minMs: sorted[0]!,
      maxMs: sorted.at(-1)!,
      cpuMedianMs: cpuTimes[Math.ceil(cpuTimes.length / 2) - 1]!,
    };
  } finally {
    await app.close();
    await composition.close();
  }
}

function print(figures: Figures): void {
  const perOp = (ms: number) => `${((ms * 1000) / figures.operations).toFixed(1)} µs`;
  console.log(`load average ${load()}`);
  console.log(
    `${figures.dialect.padEnd(10)} ${figures.batches} atomic batches × ${figures.operations} transitions: ` +
      `median ${figures.medianMs.toFixed(1)} ms (${perOp(figures.medianMs)}/op), ` +
      `p90 ${figures.p90Ms.toFixed(1)} ms (${perOp(figures.p90Ms)}/op), ` +
      `min ${figures.minMs.toFixed(1)} ms, max ${figures.maxMs.toFixed(1)} ms; ` +
      `CPU median ${figures.cpuMedianMs.toFixed(1)} ms`,
  );
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
/** The load average (1, 5, 15 minutes): other work on the machine inflates the figures. */
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
console.log(`node ${process.version}, ${cpus().length} × ${cpu}, load average ${load()}`);

if (ONLY.has('sqlite')) {
  const dir = mkdtempSync(join(tmpdir(), 'storyflow-bench-batch-'));
  const store = await openStore(`sqlite:${join(dir, 'bench.db')}`);
  try {
    print(await measure('sqlite', store));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const postgresUrl = process.env.STORYFLOW_TEST_POSTGRES_URL?.trim();
if (ONLY.has('postgres')) {
  if (!postgresUrl) {
    console.log('postgres   skipped: set STORYFLOW_TEST_POSTGRES_URL=postgres://… to run it');
  } else {
    const schema = `bench_batch_${process.pid}_${randomBytes(4).toString('hex')}`;
    const store = await openStore(postgresUrl, { schema });
    try {
      print(await measure('postgres', store));
    } finally {
      await store.close();
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
  }
}
