import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  parseRateLimit,
  type RateLimitPolicy,
} from '../../../src/domain/rate-limit/parse-rate-limit.js';
import { createRateLimiter } from '../../../src/services/rate-limit/create-rate-limiter.js';
import { rateLimitHeaders } from '../../../src/services/rate-limit/rate-limiter.js';
import {
  DEFAULT_REDIS_KEY_PREFIX,
  RedisRateLimiter,
  type RedisRateLimiterOptions,
} from '../../../src/services/rate-limit/redis-rate-limiter.js';

const REDIS_URL_VARIABLE = 'STORYFLOW_TEST_REDIS_URL';
const redisUrl = process.env[REDIS_URL_VARIABLE]?.trim() || undefined;

const opened: RedisRateLimiter[] = [];
function open(options: RedisRateLimiterOptions): RedisRateLimiter {
  const limiter = new RedisRateLimiter(options);
  opened.push(limiter);
  return limiter;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((limiter) => limiter.close()));
});

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RedisRateLimiter when Redis is unavailable (fails open)', () => {
  it('an unreachable Redis fails open within ~1s and reports via onError once per failure burst', async () => {
    const errors: Error[] = [];
    const limiter = open({ url: 'redis://127.0.0.1:1', onError: (error) => errors.push(error) });
    const policy = parseRateLimit('1/hour');

    const { value: decisions, ms } = await timed(async () => [
      await limiter.consume('k', policy),
      await limiter.consume('k', policy),
      await limiter.consume('k', policy),
    ]);

    expect(ms).toBeLessThan(1000);
    expect(decisions.every((d) => d.allowed && d.retryAfterMs === 0)).toBe(true);
    expect(decisions[0]).toMatchObject({ limit: 1, remaining: 0 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(Error);
  });

  it('a Redis that accepts connections but never answers fails open within ~1s', async () => {
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const errors: Error[] = [];
      const limiter = open({
        url: `redis://127.0.0.1:${port}`,
        onError: (error) => errors.push(error),
      });
      const { value: decision, ms } = await timed(() =>
        limiter.consume('k', parseRateLimit('5/minute')),
      );
      expect(ms).toBeLessThan(1500);
      expect(decision.allowed).toBe(true);
      expect(errors).toHaveLength(1);
      const { ms: closeMs } = await timed(() => limiter.close());
      expect(closeMs).toBeLessThan(500);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a throwing onError does not break fail-open', async () => {
    const limiter = open({
      url: 'redis://127.0.0.1:1',
      onError: () => {
        throw new Error('reporter down');
      },
    });
    expect((await limiter.consume('k', parseRateLimit('1/hour'))).allowed).toBe(true);
  });

  it('an invalid cost is a programming error, not a Redis failure: it rejects', async () => {
    const errors: Error[] = [];
    const limiter = open({ url: 'redis://127.0.0.1:1', onError: (error) => errors.push(error) });
    await expect(limiter.consume('k', parseRateLimit('1/hour'), 2)).rejects.toThrow(RangeError);
  });
});

if (redisUrl === undefined) {
  describe.skip(`RedisRateLimiter against a real Redis (set ${REDIS_URL_VARIABLE})`, () => {
    it('is skipped', () => {});
  });
} else {
  const url = redisUrl;

  describe('RedisRateLimiter against a real Redis', () => {
    const prefix = `${DEFAULT_REDIS_KEY_PREFIX}test-${randomUUID()}:`;
    let admin: Redis;
    const errors: Error[] = [];
    const shared = (): RedisRateLimiter =>
      open({ url, keyPrefix: prefix, onError: (error) => errors.push(error) });
    const unique = (name: string) => `${name}-${randomUUID()}`;

    async function burst(
      limiter: RedisRateLimiter,
      key: string,
      policy: RateLimitPolicy,
      n: number,
    ) {
      const decisions = [];
      for (let i = 0; i < n; i += 1) decisions.push(await limiter.consume(key, policy));
      return decisions;
    }

    beforeAll(() => {
      admin = new Redis(url);
    });

    afterEach(() => {
      expect(errors).toEqual([]);
    });

    afterAll(async () => {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await admin.del(...keys);
      } while (cursor !== '0');
      await admin.quit();
    });

    it('a budget of N allows exactly N requests in a burst, then refuses with Retry-After ≈ the time until one unit frees', async () => {
      const limiter = shared();
      const policy = parseRateLimit('5/minute');
      const decisions = await burst(limiter, unique('burst'), policy, 7);
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false]);
      expect(decisions.slice(0, 5).map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0]);
      const refused = decisions[5]!;
      // One unit frees every 12s, counted from the first request a few ms ago.
      expect(refused.retryAfterMs).toBeGreaterThan(11_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(12_000);
      expect(refused.resetMs).toBeGreaterThan(59_000);
      expect(refused.resetMs).toBeLessThanOrEqual(60_000);
      expect(refused).toMatchObject({ limit: 5, remaining: 0 });
    });

    it('the budget refills over the window', async () => {
      const limiter = shared();
      const key = unique('refill');
      // One unit frees every 200ms.
      const policy: RateLimitPolicy = { limit: 3, windowMs: 600 };
      expect((await burst(limiter, key, policy, 4)).map((d) => d.allowed)).toEqual([
        true,
        true,
        true,
        false,
      ]);
      await sleep(250);
      expect((await burst(limiter, key, policy, 2)).map((d) => d.allowed)).toEqual([true, false]);
      await sleep(650);
      expect((await burst(limiter, key, policy, 4)).map((d) => d.allowed)).toEqual([
        true,
        true,
        true,
        false,
      ]);
    });

    it('separate keys have separate budgets', async () => {
      const limiter = shared();
      const policy = parseRateLimit('2/minute');
      const a = unique('a');
      await burst(limiter, a, policy, 2);
      expect((await limiter.consume(a, policy)).allowed).toBe(false);
      expect(await limiter.consume(unique('b'), policy)).toMatchObject({
        allowed: true,
        remaining: 1,
      });
    });

    it('two RedisRateLimiter instances (two separate connections) share one budget', async () => {
      const one = shared();
      const two = shared();
      const key = unique('shared');
      const policy = parseRateLimit('10/minute');
      const allowed: boolean[] = [];
      for (let i = 0; i < 16; i += 1) {
        allowed.push((await (i % 2 === 0 ? one : two).consume(key, policy)).allowed);
      }
      expect(allowed.filter(Boolean)).toHaveLength(10);
      expect(allowed.slice(0, 10).every(Boolean)).toBe(true);
    });

    it('two instances share one budget under concurrency: exactly N of many parallel requests pass', async () => {
      const one = shared();
      const two = shared();
      const key = unique('race');
      const policy = parseRateLimit('25/minute');
      const decisions = await Promise.all(
        Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? one : two).consume(key, policy)),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
      const remaining = decisions
        .filter((d) => d.allowed)
        .map((d) => d.remaining)
        .sort((x, y) => y - x);
      expect(remaining).toEqual(Array.from({ length: 25 }, (_, i) => 24 - i));
    });

    it('a cost takes several units at once, or none', async () => {
      const limiter = shared();
      const key = unique('cost');
      const policy = parseRateLimit('10/minute');
      expect(await limiter.consume(key, policy, 7)).toMatchObject({ allowed: true, remaining: 3 });
      expect(await limiter.consume(key, policy, 4)).toMatchObject({
        allowed: false,
        remaining: 3,
      });
      expect(await limiter.consume(key, policy, 3)).toMatchObject({ allowed: true, remaining: 0 });
    });

    it('keys are prefixed and expire once the budget is full again', async () => {
      const limiter = shared();
      const key = unique('ttl');
      await limiter.consume(key, parseRateLimit('4/minute'));
      const ttl = await admin.pttl(`${prefix}${key}`);
      expect(ttl).toBeGreaterThan(14_000);
      expect(ttl).toBeLessThanOrEqual(15_000);

      const short = unique('short');
      await limiter.consume(short, { limit: 2, windowMs: 100 });
      await sleep(120);
      expect(await admin.exists(`${prefix}${short}`)).toBe(0);
    });

    it('headers are right for a Redis decision', async () => {
      const limiter = shared();
      const key = unique('headers');
      const policy = parseRateLimit('2/30s');
      const [first, , refused] = await burst(limiter, key, policy, 3);
      expect(rateLimitHeaders(first!, policy)).toEqual({
        'RateLimit-Limit': '2',
        'RateLimit-Remaining': '1',
        'RateLimit-Reset': '15',
        'RateLimit-Policy': '2;w=30',
      });
      const headers = rateLimitHeaders(refused!, policy);
      expect(headers).toMatchObject({
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': '30',
        'Retry-After': '15',
      });
    });

    it('createRateLimiter with a Redis URL shares the budget through Redis', async () => {
      const viaFactory = await createRateLimiter({ redisUrl: url });
      const direct = open({ url });
      const key = `test-${randomUUID()}`;
      const policy = parseRateLimit('1/minute');
      try {
        expect(viaFactory).toBeInstanceOf(RedisRateLimiter);
        expect((await viaFactory.consume(key, policy)).allowed).toBe(true);
        expect((await direct.consume(key, policy)).allowed).toBe(false);
      } finally {
        await viaFactory.close();
        await admin.del(`${DEFAULT_REDIS_KEY_PREFIX}${key}`);
      }
    });
  });
}
