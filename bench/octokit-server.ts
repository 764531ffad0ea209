// @octokit/webhooks' node middleware on node:http: verifies the signature and parses the
// payload, stores nothing. Run by bench/ingest.ts as a child process (BENCH_PORT,
// BENCH_SECRET); the webhook path is /webhooks/github, like storyflow's.
import { createServer } from 'node:http';
import { createNodeMiddleware, Webhooks } from '@octokit/webhooks';

const port = Number(process.env.BENCH_PORT);
const webhooks = new Webhooks({ secret: process.env.BENCH_SECRET ?? '' });
const middleware = createNodeMiddleware(webhooks, { path: '/webhooks/github' });

const server = createServer(async (request, response) => {
  // The middleware leaves other paths unanswered (it expects a next handler).
  if (!(await middleware(request, response))) response.writeHead(404).end();
});

server.listen(port, '127.0.0.1', () => process.stdout.write(`listening on ${port}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
