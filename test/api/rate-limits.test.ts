// Rate limits per token, per client address and per failed authentication, with the IETF
// RateLimit headers, and one shared budget when several instances use the same Redis.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { openStore } from '../../src/storage/open-store.js';
import type { Store } from '../../src/storage/store.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';

type Limits = Config['rateLimits'];

const MINUTE = 60_000;
const generous = { limit: 100_000, windowMs: MINUTE };
const LIMITS: Limits = {
  perToken: { limit: 5, windowMs: MINUTE },
  perAddress: { limit: 1000, windowMs: MINUTE },
  authFailures: { limit: 1000, windowMs: MINUTE },
  webhookRefusals: { limit: 1000, windowMs: MINUTE },
};

/** Creates tokens through a throwaway server without limits, so no budget under test is used. */
async function createTokens(
  store: Store,
  specs: Record<string, unknown>[],
): Promise<{ id: string; token: string }[]> {
  const setup = await startTestServer(store, {
    config: {
      rateLimits: {
        perToken: generous,
        perAddress: generous,
        authFailures: generous,
        webhookRefusals: generous,
      },
    },
  });
  try {
    const created = [];
    for (const [index, spec] of specs.entries()) {
      const answer = await http(setup.url, 'POST', '/api/v1/tokens', {
        token: setup.token,
        json: { name: `rate ${index}`, scopes: ['stories:read'], ...spec },
      });
      expect(answer.status).toBe(201);
      created.push(answer.body as { id: string; token: string });
    }
    return created;
  } finally {
    await setup.app.close();
  }
}

describe('rate limits', () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  async function serverWith(
    rateLimits: Partial<Limits>,
    tokens: Record<string, unknown>[] = [],
  ): Promise<{ server: TestServer; tokens: string[] }> {
    const store = await openStore('sqlite::memory:');
    const created = await createTokens(store, tokens);
    const server = await startTestServer(store, {
      config: { rateLimits: { ...LIMITS, ...rateLimits } },
    });
    servers.push(server);
    return { server, tokens: created.map((token) => token.token) };
  }

  const stories = (server: TestServer, token: string) =>
    http(server.url, 'GET', '/api/v1/stories', { token });

  it('the 6th request with one token gets 429 problem+json with Retry-After and RateLimit headers', async () => {
    const { server, tokens } = await serverWith({}, [{}]);
    const token = tokens[0]!;
    for (let request = 1; request <= 5; request++) {
      const ok = await stories(server, token);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-limit')).toBe('5');
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(5 - request));
      expect(ok.headers.get('ratelimit-policy')).toBe('5;w=60');
      expect(Number(ok.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
      expect(ok.headers.get('retry-after')).toBeNull();
    }
    const refused = await stories(server, token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({
      type: 'urn:storyflow:problem:rate-limited',
      status: 429,
      detail: 'Rate limit of this token exceeded',
    });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(12); // one request frees every 60 s / 5
    expect(refused.headers.get('ratelimit-limit')).toBe('5');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('ratelimit-policy')).toBe('5;w=60');
    expect(Number(refused.headers.get('ratelimit-reset'))).toBeGreaterThan(48);
    expect(Number(refused.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(60);
  });

  it('another token still has its own budget', async () => {
    const { server, tokens } = await serverWith({}, [{}, {}]);
    const [first, second] = tokens as [string, string];
    for (let request = 0; request < 5; request++) await stories(server, first);
    expect((await stories(server, first)).status).toBe(429);
    const other = await stories(server, second);
    expect(other.status).toBe(200);
    expect(other.headers.get('ratelimit-remaining')).toBe('4');
  });

  it('a token created with its own rateLimit of 2/minute gets 429 on its 3rd request', async () => {
    const { server, tokens } = await serverWith({}, [{ rateLimit: '2/minute' }]);
    const token = tokens[0]!;
    const first = await stories(server, token);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBe('2');
    expect(first.headers.get('ratelimit-policy')).toBe('2;w=60');
    expect((await stories(server, token)).status).toBe(200);
    const third = await stories(server, token);
    expect(third.status).toBe(429);
    expect(third.headers.get('ratelimit-limit')).toBe('2');
  });

  it('the per-address budget refuses requests from one address across tokens', async () => {
    const { server, tokens } = await serverWith(
      { perToken: generous, perAddress: { limit: 4, windowMs: MINUTE } },
      [{}, {}, {}, {}, {}],
    );
    for (const token of tokens.slice(0, 4)) expect((await stories(server, token)).status).toBe(200);
    const refused = await stories(server, tokens[4]!);
    expect(refused.status).toBe(429);
    expect(refused.body.detail).toBe('Too many requests from this address');
    expect(refused.headers.get('ratelimit-policy')).toBe('4;w=60');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The client address is the socket's: a forged X-Forwarded-For does not open a new budget.
    const forged = await http(server.url, 'GET', '/api/v1/stories', {
      token: tokens[0]!,
      headers: { 'x-forwarded-for': '203.0.113.7' },
    });
    expect(forged.status).toBe(429);
  });

  it('repeated failed authentications from one address turn 401 into 429', async () => {
    const { server, tokens } = await serverWith({ authFailures: { limit: 3, windowMs: MINUTE } }, [
      {},
    ]);
    const guesses = ['sfp_guess-1', 'sfp_guess-2', 'not-even-a-token'];
    for (const guess of guesses) expect((await stories(server, guess)).status).toBe(401);
    const limited = await stories(server, 'sfp_guess-4');
    expect(limited.status).toBe(429);
    expect(limited.body.detail).toBe('Too many failed authentications from this address');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await http(server.url, 'GET', '/api/v1/stories')).status).toBe(429);
    // Only failures count: a valid token from the same address still gets through.
    expect((await stories(server, tokens[0]!)).status).toBe(200);
  });

  it('/healthz, /readyz and /metrics are never limited', async () => {
    const tight = { limit: 1, windowMs: MINUTE };
    const { server, tokens } = await serverWith(
      { perToken: tight, perAddress: tight, authFailures: tight },
      [{}],
    );
    for (let request = 0; request < 10; request++) {
      for (const path of ['/healthz', '/readyz', '/metrics']) {
        const withToken = await http(server.url, 'GET', path, { token: tokens[0]! });
        const withBadToken = await http(server.url, 'GET', path, { token: 'sfp_bad' });
        expect([withToken.status, withBadToken.status], path).toEqual([200, 200]);
        expect(withToken.headers.get('ratelimit-limit')).toBeNull();
      }
    }
    expect((await stories(server, tokens[0]!)).status).toBe(200);
  });

  it('counts 429s by limit in /metrics as storyflow_rate_limited_total', async () => {
    const { server, tokens } = await serverWith({ authFailures: { limit: 1, windowMs: MINUTE } }, [
      {},
    ]);
    for (let request = 0; request < 7; request++) await stories(server, tokens[0]!);
    await stories(server, 'sfp_bad');
    await stories(server, 'sfp_bad');
    const metrics = (await http(server.url, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/^storyflow_rate_limited_total\{limit="token"\} 2$/m);
    expect(metrics).toMatch(/^storyflow_rate_limited_total\{limit="auth-failures"\} 1$/m);
    expect(metrics).toMatch(/storyflow_http_requests_total\{[^}]*status_code="429"[^}]*\} 3/);
  });
});

const REDIS_URL_VARIABLE = 'STORYFLOW_TEST_REDIS_URL';
const redisUrl = process.env[REDIS_URL_VARIABLE]?.trim() || undefined;

(redisUrl === undefined ? describe.skip : describe)(
  `rate limits shared through Redis${redisUrl === undefined ? ` (set ${REDIS_URL_VARIABLE})` : ''}`,
  () => {
    it('two instances sharing one Redis share one budget per token', async () => {
      const store = await openStore('sqlite::memory:');
      // The Redis keys outlive this test: a token of its own keeps runs apart.
      const [created] = await createTokens(store, [{ name: `redis ${randomUUID()}` }]);
      const config = {
        redisUrl: redisUrl!,
        rateLimits: {
          perToken: { limit: 6, windowMs: MINUTE },
          perAddress: generous,
          authFailures: generous,
          webhookRefusals: generous,
        },
      };
      const first = await startTestServer(store, { config });
      const second = await startTestServer(store, { config });
      try {
        const statuses: number[] = [];
        const remaining: (string | null)[] = [];
        for (let request = 0; request < 12; request++) {
          const server = request % 2 === 0 ? first : second;
          const answer = await http(server.url, 'GET', '/api/v1/stories', {
            token: created!.token,
          });
          statuses.push(answer.status);
          remaining.push(answer.headers.get('ratelimit-remaining'));
        }
        expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429, 429, 429, 429, 429]);
        expect(remaining.slice(0, 6)).toEqual(['5', '4', '3', '2', '1', '0']);
      } finally {
        await second.app.close();
        await first.close();
      }
    });
  },
);
