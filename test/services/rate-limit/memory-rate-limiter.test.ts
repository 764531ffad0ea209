import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../../src/domain/clock.js';
import { parseRateLimit } from '../../../src/domain/rate-limit/parse-rate-limit.js';
import { createRateLimiter } from '../../../src/services/rate-limit/create-rate-limiter.js';
import { MemoryRateLimiter } from '../../../src/services/rate-limit/memory-rate-limiter.js';
import {
  type RateLimitDecision,
  rateLimitHeaders,
} from '../../../src/services/rate-limit/rate-limiter.js';

function manualClock(start = Date.parse('2025-08-12T10:00:00.000Z')) {
  let now = start;
  const clock: Clock = { now: () => new Date(now) };
  const advance = (ms: number): void => {
    now += ms;
  };
  return { clock, advance };
}

const limiters: MemoryRateLimiter[] = [];
function limiter(clock: Clock, options: { maxKeys?: number; sweepIntervalMs?: number } = {}) {
  const created = new MemoryRateLimiter({ clock, sweepIntervalMs: 0, ...options });
  limiters.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.close()));
  vi.useRealTimers();
});

async function burst(l: MemoryRateLimiter, key: string, policy: string, count: number) {
  const decisions: RateLimitDecision[] = [];
  for (let i = 0; i < count; i += 1) decisions.push(await l.consume(key, parseRateLimit(policy)));
  return decisions;
}

describe('MemoryRateLimiter', () => {
  it('a budget of N allows exactly N requests in a burst, then refuses with Retry-After ≈ time until one unit frees', async () => {
    const { clock } = manualClock();
    const decisions = await burst(limiter(clock), 'k', '10/second', 11);
    expect(decisions.slice(0, 10).every((d) => d.allowed)).toBe(true);
    expect(decisions.map((d) => d.remaining).slice(0, 10)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(decisions[10]).toEqual({
      allowed: false,
      limit: 10,
      remaining: 0,
      resetMs: 1000,
      retryAfterMs: 100,
    });
  });

  it('allowed decisions report retryAfterMs 0 and resetMs until the budget is full again', async () => {
    const { clock } = manualClock();
    const [first, second] = await burst(limiter(clock), 'k', '600/minute', 2);
    expect(first).toEqual({
      allowed: true,
      limit: 600,
      remaining: 599,
      resetMs: 100,
      retryAfterMs: 0,
    });
    expect(second).toMatchObject({ remaining: 598, resetMs: 200 });
  });

  it('the budget refills over the window: one unit per window/limit, all of it after a window', async () => {
    const { clock, advance } = manualClock();
    const l = limiter(clock);
    const policy = parseRateLimit('6/minute');
    await burst(l, 'k', '6/minute', 6);
    expect((await l.consume('k', policy)).allowed).toBe(false);
    advance(9_999);
    expect(await l.consume('k', policy)).toMatchObject({ allowed: false, retryAfterMs: 1 });
    advance(1);
    expect(await l.consume('k', policy)).toMatchObject({ allowed: true, remaining: 0 });
    expect((await l.consume('k', policy)).allowed).toBe(false);
    advance(60_000);
    const refill = await burst(l, 'k', '6/minute', 7);
    expect(refill.filter((d) => d.allowed)).toHaveLength(6);
  });

  it('a refused request consumes nothing', async () => {
    const { clock, advance } = manualClock();
    const l = limiter(clock);
    await burst(l, 'k', '2/second', 2);
    await burst(l, 'k', '2/second', 50);
    advance(500);
    expect((await l.consume('k', parseRateLimit('2/second'))).allowed).toBe(true);
  });

  it('separate keys have separate budgets', async () => {
    const { clock } = manualClock();
    const l = limiter(clock);
    await burst(l, 'token:a', '3/minute', 3);
    expect((await l.consume('token:a', parseRateLimit('3/minute'))).allowed).toBe(false);
    expect(await l.consume('token:b', parseRateLimit('3/minute'))).toMatchObject({
      allowed: true,
      remaining: 2,
    });
  });

  it('a cost takes several units at once, or none when they are not all there', async () => {
    const { clock } = manualClock();
    const l = limiter(clock);
    const policy = parseRateLimit('10/second');
    expect(await l.consume('k', policy, 7)).toMatchObject({ allowed: true, remaining: 3 });
    expect(await l.consume('k', policy, 4)).toMatchObject({
      allowed: false,
      remaining: 3,
      retryAfterMs: 100,
    });
    expect(await l.consume('k', policy, 3)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('a limit that does not divide the window still allows exactly N per window', async () => {
    const { clock, advance } = manualClock();
    const l = limiter(clock);
    const decisions = await burst(l, 'k', '3/second', 4);
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    advance(1000);
    expect((await burst(l, 'k', '3/second', 4)).map((d) => d.allowed)).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('rejects an invalid cost or policy with a RangeError', async () => {
    const { clock } = manualClock();
    const l = limiter(clock);
    await expect(l.consume('k', parseRateLimit('5/second'), 6)).rejects.toThrow(RangeError);
    await expect(l.consume('k', parseRateLimit('5/second'), -1)).rejects.toThrow(RangeError);
    await expect(l.consume('k', { limit: 0, windowMs: 1000 })).rejects.toThrow(RangeError);
    await expect(l.consume('k', { limit: 5, windowMs: 0 })).rejects.toThrow(RangeError);
  });

  it('evicts idle keys: a sweep drops every key whose budget is full again', async () => {
    const { clock, advance } = manualClock();
    const l = limiter(clock);
    await l.consume('short', parseRateLimit('10/second'));
    await l.consume('long', parseRateLimit('10/hour'));
    expect(l.size).toBe(2);
    advance(100);
    expect(l.sweep()).toBe(1);
    expect(l.size).toBe(1);
    advance(360_000);
    expect(l.sweep()).toBe(1);
    expect(l.size).toBe(0);
  });

  it('evicts the least recently used key beyond maxKeys', async () => {
    const { clock } = manualClock();
    const l = limiter(clock, { maxKeys: 2 });
    const policy = parseRateLimit('1/hour');
    await l.consume('a', policy);
    await l.consume('b', policy);
    await l.consume('a', policy); // refused, but marks a as recently used
    await l.consume('c', policy);
    expect(l.size).toBe(2);
    expect((await l.consume('a', policy)).allowed).toBe(false);
    expect((await l.consume('b', policy)).allowed).toBe(true); // b was evicted: fresh budget
  });

  it('sweeps on an unref()ed timer that close() clears', async () => {
    vi.useFakeTimers();
    const { clock, advance } = manualClock();
    const l = new MemoryRateLimiter({ clock, sweepIntervalMs: 1000 });
    limiters.push(l);
    expect(vi.getTimerCount()).toBe(1);
    await l.consume('k', parseRateLimit('1/second'));
    advance(1000);
    vi.advanceTimersByTime(1000);
    expect(l.size).toBe(0);
    await l.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('createRateLimiter without a Redis URL gives an in-memory limiter on the given clock', async () => {
    const { clock } = manualClock();
    const l = await createRateLimiter({ clock, redisUrl: '  ' });
    try {
      expect(l).toBeInstanceOf(MemoryRateLimiter);
      expect((await l.consume('k', parseRateLimit('1/day'))).allowed).toBe(true);
      expect((await l.consume('k', parseRateLimit('1/day'))).retryAfterMs).toBe(86_400_000);
    } finally {
      await l.close();
    }
  });
});

describe('rateLimitHeaders', () => {
  const policy = parseRateLimit('600/minute');

  it('gives limit, remaining, reset in seconds and the policy when allowed, without Retry-After', () => {
    const headers = rateLimitHeaders(
      { allowed: true, limit: 600, remaining: 598, resetMs: 200, retryAfterMs: 0 },
      policy,
    );
    expect(headers).toEqual({
      'RateLimit-Limit': '600',
      'RateLimit-Remaining': '598',
      'RateLimit-Reset': '1',
      'RateLimit-Policy': '600;w=60',
    });
  });

  it('adds Retry-After in whole seconds rounded up when refused', () => {
    const headers = rateLimitHeaders(
      { allowed: false, limit: 600, remaining: 0, resetMs: 60_000, retryAfterMs: 1001 },
      policy,
    );
    expect(headers).toEqual({
      'RateLimit-Limit': '600',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '60',
      'RateLimit-Policy': '600;w=60',
      'Retry-After': '2',
    });
  });

  it('Retry-After is at least 1 second; a sub-second window is reported as w=1', () => {
    const headers = rateLimitHeaders(
      { allowed: false, limit: 5, remaining: 0, resetMs: 0, retryAfterMs: 0 },
      { limit: 5, windowMs: 250 },
    );
    expect(headers['Retry-After']).toBe('1');
    expect(headers['RateLimit-Policy']).toBe('5;w=1');
    expect(headers['RateLimit-Reset']).toBe('0');
  });

  it('headers match a real refusal from the limiter', async () => {
    const { clock } = manualClock();
    const l = limiter(clock);
    const decisions = await burst(l, 'k', '50/30s', 51);
    expect(rateLimitHeaders(decisions[50]!, parseRateLimit('50/30s'))).toEqual({
      'RateLimit-Limit': '50',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '30',
      'RateLimit-Policy': '50;w=30',
      'Retry-After': '1',
    });
  });
});
