// The durable reference of the ingestion benchmark: the least a server can do that stores each
// delivery durably before answering, on the same SQLite storage storyflow uses. node:http reads
// the body, checks the HMAC, parses the JSON (a body that is not JSON must get a 400, and the
// repository is read from it), and hands the delivery to a writer thread; the writer commits
// whatever has gathered in one transaction (better-sqlite3, WAL, synchronous=FULL: fsync before
// the answer) into one table with the provider's delivery id unique, and the answers go out:
// 202 {delivery, duplicate}. No framework, no logs, no metrics, no second table, no processing.
// Run by bench/ingest.ts as a child process (BENCH_PORT, BENCH_SECRET, BENCH_DB).
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { Worker } from 'node:worker_threads';
import { groupCommit } from './group-commit.js';
import { answerJson, readSignedDelivery } from './signed-body.js';

const port = Number(process.env.BENCH_PORT);
const secret = process.env.BENCH_SECRET ?? '';
const databasePath = process.env.BENCH_DB ?? '';
if (databasePath === '') throw new Error('BENCH_DB is required');
for (const suffix of ['', '-wal', '-shm']) rmSync(databasePath + suffix, { force: true });

// Plain JavaScript evaluated in the thread, so it runs the same under tsx or node.
const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(\`create table deliveries (
  id text primary key, provider text not null, delivery_id text not null, event text not null,
  repository text, headers text not null, body blob not null, received_at text not null,
  unique (provider, delivery_id))\`);
const insert = db.prepare(\`insert into deliveries values (?, 'github', ?, ?, ?, ?, ?, ?)
  on conflict (provider, delivery_id) do nothing\`);
const commit = db.transaction((batch) =>
  batch.map((d) => insert.run(d.id, d.deliveryId, d.event, d.repository, d.headers,
    Buffer.from(d.body.buffer, d.body.byteOffset, d.body.byteLength), d.receivedAt).changes === 0));
parentPort.on('message', (batch) => parentPort.postMessage(commit(batch)));
`;

interface Pending {
  id: string;
  deliveryId: string;
  event: string;
  repository: string | null;
  headers: string;
  body: Uint8Array;
  receivedAt: string;
  response: ServerResponse;
}

const writer = new Worker(WRITER, { eval: true, workerData: { path: databasePath } });
const enqueue = groupCommit<Pending, boolean>(
  writer,
  (batch) => batch.map(({ response: _response, ...delivery }) => delivery),
  (delivery, duplicate) =>
    answerJson(delivery.response, 202, JSON.stringify({ delivery: delivery.id, duplicate })),
);

const server = createServer((request, response) => {
  readSignedDelivery(request, response, secret, (body, deliveryId) => {
    let repository: string | null = null;
    try {
      const payload = JSON.parse(body.toString('utf8')) as {
        repository?: { full_name?: unknown };
      };
      const name = payload.repository?.full_name;
      repository = typeof name === 'string' ? name : null;
    } catch {
      answerJson(response, 400, '{"error":"not JSON"}');
      return;
    }
    enqueue({
      id: randomUUID(),
      deliveryId,
      event: String(request.headers['x-github-event'] ?? ''),
      repository,
      headers: JSON.stringify({ 'x-github-event': request.headers['x-github-event'] }),
      body,
      receivedAt: new Date().toISOString(),
      response,
    });
  });
});

server.listen(port, '127.0.0.1', () => process.stdout.write(`listening on ${port}\n`));
process.once('SIGTERM', () => server.close(() => writer.terminate().then(() => process.exit(0))));
