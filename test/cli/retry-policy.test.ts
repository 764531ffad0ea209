// The CLI and the CI client wait the same way before asking again (retry-policy.ts): what the
// server's Retry-After asks for, in seconds or as an HTTP date, within a cap; else exponential
// backoff, capped. Each client keeps its own statuses: only the CI client, which sends an
// Idempotency-Key, repeats a 500.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from '../../src/cli/api-client.js';
import { ciRequest } from '../../src/cli/ci/ci-http.js';
import {
  backoffMs,
  CI_RETRY_POLICY,
  CLI_RETRY_POLICY,
  type RetryPolicy,
  retryAfterMs,
  retryDelayMs,
} from '../../src/cli/retry-policy.js';

const policy: RetryPolicy = {
  retryable: new Set([503]),
  firstBackoffMs: 100,
  maxBackoffMs: 1000,
  jitter: 0,
  maxRetryAfterMs: 10_000,
};
const now = Date.parse('2026-12-03T12:00:00Z');

describe('retryAfterMs', () => {
  it('reads delay-seconds, fractions included', () => {
    expect(retryAfterMs(policy, '3', now)).toBe(3000);
    expect(retryAfterMs(policy, '0', now)).toBe(0);
    expect(retryAfterMs(policy, '1.5', now)).toBe(1500);
  });

  it('reads an HTTP date as the time left until it', () => {
    expect(retryAfterMs(policy, 'Thu, 03 Dec 2026 12:00:04 GMT', now)).toBe(4000);
  });

  it('caps both forms at the policy maximum', () => {
    expect(retryAfterMs(policy, '3600', now)).toBe(10_000);
    expect(retryAfterMs(policy, 'Fri, 04 Dec 2026 12:00:00 GMT', now)).toBe(10_000);
  });

  it('never asks for a negative wait (a date in the past, negative seconds)', () => {
    expect(retryAfterMs(policy, 'Thu, 03 Dec 2026 11:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(policy, '-5', now)).toBe(0);
  });

  it('answers undefined without a header or with one that is neither form', () => {
    expect(retryAfterMs(policy, null, now)).toBeUndefined();
    expect(retryAfterMs(policy, 'soon', now)).toBeUndefined();
    expect(retryAfterMs(policy, 'Infinity', now)).toBeUndefined();
  });

  it('caps at 30 s for the CLI and 60 s for pipeline steps', () => {
    expect(retryAfterMs(CLI_RETRY_POLICY, '120', now)).toBe(30_000);
    expect(retryAfterMs(CI_RETRY_POLICY, '120', now)).toBe(60_000);
  });
});

describe('backoffMs', () => {
  it('doubles from the first backoff up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffMs(policy, attempt))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffMs(CLI_RETRY_POLICY, attempt))).toEqual([
      250, 500, 1000, 2000, 4000, 4000,
    ]);
  });

  it('spreads each wait by the jitter, both ends included', () => {
    expect(backoffMs(CI_RETRY_POLICY, 1, () => 0)).toBeCloseTo(400);
    expect(backoffMs(CI_RETRY_POLICY, 1, () => 0.5)).toBeCloseTo(500);
    expect(backoffMs(CI_RETRY_POLICY, 1, () => 1)).toBeCloseTo(600);
    expect(backoffMs(CI_RETRY_POLICY, 10, () => 1)).toBeCloseTo(9600);
  });
});

describe('retryDelayMs', () => {
  it("takes the server's Retry-After over the backoff, and the backoff without one", () => {
    expect(retryDelayMs(policy, 1, '2')).toBe(2000);
    expect(retryDelayMs(policy, 3, null)).toBe(400);
    expect(retryDelayMs(policy, 3, 'whenever')).toBe(400);
  });
});

/** A server answering `statuses` in turn (200 after them), counting requests. */
async function scripted(
  statuses: number[],
  headers: Record<string, string> = {},
): Promise<{ url: string; requests: () => number; server: Server }> {
  let requests = 0;
  const server = createServer((_request, response) => {
    const status = statuses[requests] ?? 200;
    requests += 1;
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(status === 200 ? '{"ok":true}' : `{"detail":"status ${status}"}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests: () => requests, server };
}

describe('the two clients over HTTP', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(
      servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
    );
  });
  const start = async (statuses: number[], headers?: Record<string, string>) => {
    const started = await scripted(statuses, headers);
    servers.push(started.server);
    return started;
  };

  it('the CLI waits what Retry-After asks (capped at 30 s) on 429 and 503', async () => {
    const { url, requests } = await start([429, 503], { 'retry-after': '120' });
    const waits: number[] = [];
    const client = new ApiClient({ baseUrl: url, sleep: async (ms) => void waits.push(ms) });
    expect(await client.json('GET', '/x')).toEqual({ ok: true });
    expect(waits).toEqual([30_000, 30_000]);
    expect(requests()).toBe(3);
  });

  it('the CLI backs off 250 ms, then 500 ms, on a 502 without Retry-After', async () => {
    const { url } = await start([502, 502]);
    const waits: number[] = [];
    const client = new ApiClient({ baseUrl: url, sleep: async (ms) => void waits.push(ms) });
    await client.request('GET', '/x');
    expect(waits).toEqual([250, 500]);
  });

  it('the CLI does not repeat a 500: it sends no Idempotency-Key', async () => {
    const { url, requests } = await start([500]);
    const client = new ApiClient({ baseUrl: url, sleep: async () => {} });
    await expect(client.request('POST', '/x', { json: {} })).rejects.toBeInstanceOf(ApiError);
    expect(requests()).toBe(1);
  });

  it('the CI client repeats a 500 under its Idempotency-Key, waiting Retry-After capped at 60 s', async () => {
    const { url, requests } = await start([500, 408], { 'retry-after': '120' });
    const waits: number[] = [];
    const result = await ciRequest(
      { baseUrl: url, token: undefined, sleep: async (ms) => void waits.push(ms) },
      'POST',
      '/x',
      {},
      'key-1',
    );
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(waits).toEqual([60_000, 60_000]);
    expect(requests()).toBe(3);
  });
});
