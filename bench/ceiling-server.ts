// The ceiling of the ingestion benchmark: plain node:http, read the body, check the GitHub
// HMAC signature, answer 202. Nothing is parsed or stored. Run by bench/ingest.ts as a child
// process (BENCH_PORT, BENCH_SECRET).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.env.BENCH_PORT);
const secret = process.env.BENCH_SECRET ?? '';

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    const header = request.headers['x-hub-signature-256'];
    const given =
      typeof header === 'string' && header.startsWith('sha256=')
        ? Buffer.from(header.slice(7), 'hex')
        : Buffer.alloc(0);
    const expected = createHmac('sha256', secret).update(body).digest();
    const valid = given.length === expected.length && timingSafeEqual(given, expected);
    const answer = valid ? '{"accepted":true}' : '{"accepted":false}';
    response
      .writeHead(valid ? 202 : 401, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(answer),
      })
      .end(answer);
  });
});

server.listen(port, '127.0.0.1', () => process.stdout.write(`listening on ${port}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
