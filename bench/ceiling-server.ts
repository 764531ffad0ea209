// The ceiling of the ingestion benchmark: plain node:http, read the body, check the GitHub
// HMAC signature, answer 202. Nothing is parsed or stored. Run by bench/ingest.ts as a child
// process (BENCH_PORT, BENCH_SECRET).
import { createServer } from 'node:http';
import { readSignedBody } from './signed-body.js';

const port = Number(process.env.BENCH_PORT);
const secret = process.env.BENCH_SECRET ?? '';

const server = createServer((request, response) => {
  readSignedBody(request, secret, (_body, valid) => {
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
