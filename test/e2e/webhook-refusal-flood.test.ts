// The review's reproduction of a disk filled through refused webhooks (security review finding 1),
// against the real `serve` process on a SQLite file: 3,000 bad-signature requests with two 7 KB
// headers and one 20 MB unsigned body, while a separate process measures /healthz.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, startServerProcess, useServerProcesses } from '../support/server-process.js';
import { GITHUB_SECRET, githubSignature } from '../support/webhooks.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const REQUESTS = 3000;
const CONCURRENCY = 4;

/**
 * A process of its own that sends GET /healthz every 10 ms until its stdin closes, then prints
 * the latencies (ms) as JSON: the flood's client work does not delay its measurements.
 */
const PROBE = `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const latencies = [];
let running = true;
process.stdin.on('data', () => {});
process.stdin.on('end', () => { running = false; });
function once() {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const request = http.get(process.argv[1] + '/healthz', { agent }, (response) => {
      response.resume();
      response.on('end', () => {
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        resolve();
      });
    });
    request.setTimeout(5000, () => request.destroy());
    request.on('error', () => { latencies.push(5000); resolve(); });
  });
}
(async () => {
  while (running) {
    await once();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // The first probes open the connection and warm the probe itself up: not the server's latency.
  process.stdout.write(JSON.stringify(latencies.slice(5)));
  agent.destroy();
})();
`;

function startProbe(baseUrl: string): { child: ChildProcess; latencies: Promise<number[]> } {
  const child = spawn(process.execPath, ['-e', PROBE, baseUrl], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const latencies = new Promise<number[]>((resolve, reject) => {
    child.once('exit', () => {
      try {
        resolve(JSON.parse(output) as number[]);
      } catch (error) {
        reject(error);
      }
    });
  });
  return { child, latencies };
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * fraction) - 1)] ?? 0;
}

function databaseBytes(file: string): number {
  const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);
  return size(file) + size(`${file}-wal`);
}

describe('refused webhooks cannot fill the disk (real server process, SQLite file)', () => {
  const { processes, tempDir } = useServerProcesses();

  it('3,000 bad-signature requests with 7 KB headers and a 20 MB unsigned body grow the database by under 1 MB, /healthz p99 under 50 ms', async () => {
    const dir = tempDir('storyflow-refusals-');
    const file = join(dir, 'storyflow.db');
    const env = {
      STORYFLOW_DATABASE_URL: `sqlite:${file}`,
      STORYFLOW_GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
      STORYFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
      STORYFLOW_LOG_LEVEL: 'warn',
      STORYFLOW_WEBHOOK_REFUSAL_RATE_LIMIT: '60/minute',
    };
    const port = await freePort();
    let server = await startServerProcess({ name: 'flood', cwd: dir, port, env }, processes);
    const before = databaseBytes(file);

    const probe = startProbe(server.baseUrl);
    // The flood's client (this process, from now on) yields the CPU to the server and the probe,
    // which were started before: on a busy machine, what is measured is then the server.
    setPriority(19);
    const padding = 'x'.repeat(7000);
    const body = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/shop' } });
    const statuses: Record<number, number> = {};
    let retryAfter: string | null = null;
    const send = async (init: RequestInit) => {
      const response = await fetch(`${server.baseUrl}/webhooks/github`, {
        method: 'POST',
        ...init,
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
      return response.status;
    };
    let next = 0;
    let big: number | 'closed' | undefined;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, lane) => {
        while (next < REQUESTS) {
          const index = next++;
          if (lane === 0 && big === undefined && index >= REQUESTS / 3) {
            // One 20 MB body naming a 20 MB repository, no signature at all. It is refused on its
            // headers and the connection closed unread, so the upload may fail (EPIPE) instead.
            const huge = JSON.stringify({ repository: { full_name: 'a'.repeat(20_000_000) } });
            big = await send({
              headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
              body: huge,
            }).catch(() => 'closed' as const);
          }
          await send({
            headers: {
              'content-type': 'application/json',
              'x-github-event': `push${padding}`,
              'x-github-delivery': `${index}-${padding}`,
              'x-hub-signature-256': githubSignature(body, 'not-the-secret'),
            },
            body,
          });
        }
      }),
    );
    probe.child.stdin?.end();
    const latencies = await probe.latencies;

    expect([401, 429, 'closed']).toContain(big);
    expect((statuses[401] ?? 0) + (statuses[429] ?? 0)).toBe(REQUESTS + (big === 'closed' ? 0 : 1));
    expect(statuses[429]).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);

    expect(latencies.length).toBeGreaterThan(20);
    const p99 = percentile(latencies, 0.99);
    expect(p99, `/healthz p99 ${p99} ms over ${latencies.length} probes`).toBeLessThan(50);

    // SIGTERM: the summaries of the open window are written on the way out.
    await server.stop();
    const grown = databaseBytes(file) - before;
    expect(grown).toBeLessThan(1024 * 1024);

    server = await startServerProcess({ name: 'flood-again', cwd: dir, port, env }, processes);
    const api = async (path: string) => {
      const response = await fetch(`${server.baseUrl}/api/v1${path}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      return (await response.json()) as any;
    };
    const entries = (await api('/audit?action=webhook.rejected&limit=100')).items as any[];
    // One entry and one summary per window (the flood may straddle a window boundary).
    expect(entries.length).toBeLessThanOrEqual(4);
    const counted = entries.reduce(
      (sum, entry) => sum + (entry.after.summary === true ? entry.after.count : 1),
      0,
    );
    expect(counted).toBe(REQUESTS + 1);
    expect(JSON.stringify(entries)).not.toContain('aaaaaaaa');
    expect((await api('/audit/verify')).ok).toBe(true);
  }, 180_000);
});
