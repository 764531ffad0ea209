// A server that accepts the request and never answers (storyflow once wedged like this on
// `ci link`) is not a flaky network: the CI client says so and exits 1, where an unreachable
// server still gets a warning and exit 0 (or 3 with --fail-on-error).
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { runCliInProcess } from '../support/run-cli.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

/** Accepts connections, reads the requests, answers nothing. */
async function silentServer(): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', (chunk) => {
      if (chunk.toString('latin1').includes('HTTP/1.1')) requests += 1;
    });
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, requests: () => requests };
}

/** A port with nobody listening (a server that was just closed). */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

const LINK = [
  'ci',
  'link',
  '--story',
  'INT-003',
  '--repository',
  'acme/shop',
  '--branch',
  'feature/INT-003-webhooks',
  '--sha',
  'a1b2c3d4',
  '--token',
  'sfp_test',
  '--attempts',
  '2',
];

it('ci link against a server that never answers: exit 1 and a message that says it did not answer, not "cannot reach"', async () => {
  const silent = await silentServer();
  const run = await runCliInProcess([...LINK, '--url', silent.url, '--timeout', '0.5'], {});
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('the server did not answer within 0.5s');
  expect(run.stderr).toContain('/readyz');
  expect(run.stderr).not.toContain('cannot reach the server');
  expect(run.stderr).not.toContain('the job goes on');
  expect(silent.requests()).toBe(2);
}, 20_000);

it('ci link against a server nobody listens on: still a warning and exit 0 (exit 3 with --fail-on-error)', async () => {
  const url = await closedPortUrl();
  const run = await runCliInProcess([...LINK, '--url', url, '--timeout', '0.5'], {});
  expect(run.code).toBe(0);
  expect(run.stderr).toContain('cannot reach the server');
  expect(run.stderr).toContain('the job goes on');
  const strict = await runCliInProcess(
    [...LINK, '--url', url, '--timeout', '0.5', '--fail-on-error'],
    {},
  );
  expect(strict.code).toBe(3);
}, 20_000);

it('--timeout must be a positive number of seconds', async () => {
  const run = await runCliInProcess([...LINK, '--url', 'http://127.0.0.1:9', '--timeout', '0']);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('--timeout must be a number of seconds above 0');
});
