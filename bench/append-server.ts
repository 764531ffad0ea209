// The append reference of the ingestion benchmark: the least we know how to build that stores
// each delivery durably before answering, with no database at all. node:http reads the body and checks
// the HMAC; a delivery id seen before is answered as a duplicate from memory; the rest go to a
// writer thread which checks each body is JSON (a body that is not must get a 400), appends
// every delivery of the batch to one file with one write and one fdatasync, and then the
// answers go out: 202 {delivery, duplicate}. No database, no index on disk, no recovery, no
// framework, no processing: nothing a real inbox can do without. Run by bench/ingest.ts as a
// child process (BENCH_PORT, BENCH_SECRET, BENCH_DB: the log is BENCH_DB + '.log').
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
const logPath = `${databasePath}.log`;
rmSync(logPath, { force: true });

// Plain JavaScript evaluated in the thread, so it runs the same under tsx or node. Each record:
// its length, a JSON header line, the body. Answers whether each body was JSON.
const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const fd = fs.openSync(workerData.path, 'a');
parentPort.on('message', (batch) => {
  const json = [];
  const records = [];
  for (const item of batch) {
    const body = Buffer.from(item.body.buffer, item.body.byteOffset, item.body.byteLength);
    try { JSON.parse(body.toString('utf8')); } catch { json.push(false); continue; }
    json.push(true);
    const head = Buffer.from(item.head + '\\n');
    const length = Buffer.alloc(8);
    length.writeUInt32LE(head.length, 0);
    length.writeUInt32LE(body.length, 4);
    records.push(length, head, body);
  }
  if (records.length > 0) {
    fs.writevSync(fd, records);
    fs.fdatasyncSync(fd);
  }
  parentPort.postMessage(json);
});
`;

interface Pending {
  id: string;
  head: string;
  body: Uint8Array;
  response: ServerResponse;
}

const writer = new Worker(WRITER, { eval: true, workerData: { path: logPath } });
const stored = new Map<string, string>();
const enqueue = groupCommit<Pending, boolean>(
  writer,
  (batch) => batch.map(({ head, body }) => ({ head, body })),
  (delivery, json) => {
    if (json) {
      answerJson(
        delivery.response,
        202,
        JSON.stringify({ delivery: delivery.id, duplicate: false }),
      );
    } else {
      answerJson(delivery.response, 400, '{"error":"not JSON"}');
    }
  },
);

const server = createServer((request, response) => {
  readSignedDelivery(request, response, secret, (body, deliveryId) => {
    const earlier = stored.get(deliveryId);
    if (earlier !== undefined) {
      answerJson(response, 202, JSON.stringify({ delivery: earlier, duplicate: true }));
      return;
    }
    const id = randomUUID();
    // Remembered at once: a redelivery racing the commit is a duplicate too. (A body found not
    // to be JSON stays remembered; the reference does not need to forget it.)
    stored.set(deliveryId, id);
    const head = JSON.stringify({
      id,
      provider: 'github',
      deliveryId,
      event: request.headers['x-github-event'],
      receivedAt: new Date().toISOString(),
    });
    enqueue({ id, head, body, response });
  });
});

server.listen(port, '127.0.0.1', () => process.stdout.write(`listening on ${port}\n`));
process.once('SIGTERM', () => server.close(() => writer.terminate().then(() => process.exit(0))));
