// The webhook commit path on SQLite, alone (`npm run bench:commit`): prints figures, asserts
// nothing. CPU time (user + system) per delivery for group commits of `--batch` deliveries of
// 6 KB with `synchronous=FULL`, through the repository the delivery writer thread uses
// (`KyselyDeliveryRepository.insertDeliveries` in one transaction), against a reference that
// does the same with two hand-written prepared statements in a better-sqlite3 transaction (the
// writer storyflow had before the SQLite seam, issue #16). The two run in turns, in separate
// processes, `--rounds` times; the machines are shared, so read the ratio, not the figures.
//
//   tsx bench/delivery-commit.ts [--rounds 5] [--batch 64] [--commits 60]
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import SqliteDatabase from 'better-sqlite3';
import type { NewDelivery } from '../src/storage/delivery-repository.js';
import { createSqliteStore } from '../src/storage/sqlite/create-sqlite-store.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    batch: { type: 'string', default: '64' },
    commits: { type: 'string', default: '60' },
    /** Internal: run one measurement of this path and print its µs per delivery. */
    measure: { type: 'string' },
  },
});
const batchSize = Number(values.batch);
const commits = Number(values.commits);
const WARM_UP_COMMITS = 50;

type Write = (items: NewDelivery[]) => Promise<unknown>;

function deliveries(): NewDelivery[] {
  const body = JSON.stringify({ ref: 'refs/heads/main', padding: 'x'.repeat(6000) });
  const headers = { 'x-github-event': 'push', 'content-type': 'application/json' };
  return Array.from({ length: batchSize }, () => ({
    id: randomUUID(),
    provider: 'github',
    deliveryId: randomUUID(),
    event: 'push',
    headers: { ...headers, 'x-github-delivery': randomUUID() },
    body,
    receivedAt: new Date().toISOString(),
    sourceAddress: '127.0.0.1',
    repository: 'acme/shop',
  }));
}

/** The reference: the pre-seam writer's two prepared statements in an IMMEDIATE transaction. */
function handWrittenWriter(filename: string): Write {
  const db = new SqliteDatabase(filename);
  db.pragma('busy_timeout = 5000');
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('synchronous = FULL');
  const insert = db.prepare(
    `insert into deliveries (id, provider, delivery_id, event, headers, received_at,
       source_address, repository, status, attempts, next_attempt_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)
     on conflict (provider, delivery_id) do nothing`,
  );
  const insertPayload = db.prepare(
    'insert into delivery_payloads (delivery_id, body) values (?, ?)',
  );
  const insertAll = db.transaction((items: NewDelivery[]) => {
    for (const item of items) {
      const { changes } = insert.run(
        item.id,
        item.provider,
        item.deliveryId,
        item.event,
        JSON.stringify(item.headers),
        item.receivedAt,
        item.sourceAddress,
        item.repository,
        item.receivedAt,
      );
      if (changes === 1) insertPayload.run(item.id, item.body);
    }
  });
  return async (items) => insertAll.immediate(items);
}

async function measure(path: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'storyflow-commit-bench-'));
  try {
    const filename = join(dir, 'storyflow.db');
    await (await createSqliteStore({ filename })).close();
    let write: Write;
    if (path === 'reference') {
      write = handWrittenWriter(filename);
    } else {
      // As openThreadWriter opens it (serve-mode/thread-writer.ts).
      const store = await createSqliteStore({ filename, migrate: false, autoCheckpoint: 10_000 });
      write = (items) => store.transaction((tx) => tx.deliveries.insertDeliveries(items));
    }
    for (let n = 0; n < WARM_UP_COMMITS; n++) await write(deliveries());
    const batches = Array.from({ length: commits }, deliveries);
    const start = process.cpuUsage();
    for (const batch of batches) await write(batch);
    const used = process.cpuUsage(start);
    return (used.user + used.system) / (commits * batchSize);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.measure !== undefined) {
  console.log((await measure(values.measure)).toFixed(1));
} else {
  const script = fileURLToPath(import.meta.url);
  const run = (path: string) =>
    Number(
      execFileSync(
        process.execPath,
        [
          ...process.execArgv,
          script,
          '--measure',
          path,
          '--batch',
          String(batchSize),
          '--commits',
          String(commits),
        ],
        { encoding: 'utf8' },
      ).trim(),
    );
  const figures: Record<'reference' | 'repository', number[]> = { reference: [], repository: [] };
  for (let round = 0; round < Number(values.rounds); round++) {
    figures.reference.push(run('reference'));
    figures.repository.push(run('repository'));
  }
  const median = (list: number[]) =>
    [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;
  console.log(
    `Commit path on SQLite: ${batchSize} deliveries of 6 KB per commit, ${commits} commits after ${WARM_UP_COMMITS} of warm-up, synchronous=FULL; load average ${(loadavg()[0] ?? 0).toFixed(2)}`,
  );
  console.log('| path | CPU µs per delivery, each round | median |');
  console.log('| --- | --- | ---: |');
  for (const [path, list] of Object.entries(figures)) {
    console.log(`| ${path} | ${list.join(' / ')} | ${median(list)} |`);
  }
  console.log(
    `repository path / hand-written reference: ${(median(figures.repository) / median(figures.reference)).toFixed(2)}`,
  );
}
