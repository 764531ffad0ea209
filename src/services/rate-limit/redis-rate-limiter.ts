// Rate limiter shared by every storyflow instance through Redis: the same GCRA as the memory
// limiter, run as one atomic Lua script per request on a key `storyflow:rl:<key>` holding the
// theoretical arrival time. The script reads the Redis server clock, so instances whose own
// clocks disagree still share one budget, and sets an expiry so idle keys vanish.
import { Redis } from 'ioredis';
import type { RateLimitPolicy } from '../../domain/rate-limit/parse-rate-limit.js';
import {
  gcraParameters,
  type RateLimitDecision,
  type RateLimiter,
  usToMs,
} from './rate-limiter.js';

export interface RedisRateLimiterOptions {
  /** e.g. `redis://127.0.0.1:6379` or `rediss://user:pass@host:6380/2` */
  url: string;
  /** Called with the first error of each run of failures (connection or command). */
  onError?: (error: Error) => void;
  /** Default `storyflow:rl:`. */
  keyPrefix?: string;
  /** Longest wait for the TCP connection (and, once, for the first handshake). Default 500. */
  connectTimeoutMs?: number;
  /** Longest wait for one script reply. Default 500. */
  commandTimeoutMs?: number;
}

export const DEFAULT_REDIS_KEY_PREFIX = 'storyflow:rl:';

// KEYS[1] = key; ARGV = emission interval, burst and cost, all in microseconds.
// Returns {allowed (0|1), remaining, reset µs, retry-after µs}. Every value is an integer below
// 2^53, so Lua's doubles are exact; the TAT is written with %.0f because Lua's default number
// formatting (%.14g) would round epoch microseconds.
const GCRA_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tat = now
local stored = redis.call('GET', KEYS[1])
if stored then
  tat = math.max(tonumber(stored) or now, now)
end
local new_tat = tat + cost
if new_tat - now > burst then
  return {0, math.floor((burst - (tat - now)) / interval), tat - now, new_tat - burst - now}
end
if new_tat > now then
  local ttl_ms = math.max(1, math.ceil((new_tat - now) / 1000))
  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl_ms)
end
return {1, math.floor((burst - (new_tat - now)) / interval), new_tat - now, 0}
`;

type GcraCommand = (
  key: string,
  emissionIntervalUs: number,
  burstUs: number,
  costUs: number,
) => Promise<unknown>;

/**
 * @example
 * const limiter = new RedisRateLimiter({ url: 'redis://127.0.0.1:6379', onError: log.warn });
 * const decision = await limiter.consume(`ip:${ip}`, parseRateLimit('600/minute'));
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly keyPrefix: string;
  private readonly onError: (error: Error) => void;
  private readonly firstContact: Promise<void>;
  private failing = false;
  private closed = false;

  constructor(options: RedisRateLimiterOptions) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
    this.onError = options.onError ?? (() => {});
    const connectTimeout = options.connectTimeoutMs ?? 500;
    // No offline queue and one retry: while Redis is away a command fails at once instead of
    // waiting for a reconnect, and the command timeout bounds a Redis that accepts but stalls.
    this.redis = new Redis(options.url, {
      connectTimeout,
      commandTimeout: options.commandTimeoutMs ?? 500,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    this.redis.defineCommand('storyflowGcra', { numberOfKeys: 1, lua: GCRA_SCRIPT });
    this.redis.on('error', (error: unknown) => this.reportFailure(error));
    this.redis.on('ready', () => {
      this.failing = false;
    });
    this.firstContact = settleOnFirstContact(this.redis, connectTimeout);
  }

  async consume(key: string, policy: RateLimitPolicy, cost = 1): Promise<RateLimitDecision> {
    const { emissionIntervalUs, burstUs, costUs } = gcraParameters(policy, cost);
    try {
      // Without an offline queue, a command sent before the first handshake would fail, so the
      // first requests wait (bounded by the connect timeout) for it; later ones never wait.
      await this.firstContact;
      const gcra = (this.redis as unknown as { storyflowGcra: GcraCommand }).storyflowGcra;
      const reply = await gcra.call(
        this.redis,
        this.keyPrefix + key,
        emissionIntervalUs,
        burstUs,
        costUs,
      );
      const decision = decodeReply(reply, policy);
      this.failing = false;
      return decision;
    } catch (error) {
      // Fail OPEN: the limiter protects the API from abuse, it is not what the API is for. If
      // Redis is down or slow, refusing (or stalling) every request would turn a limiter outage
      // into a full API outage, so requests pass unlimited until Redis answers again and the
      // outage is reported through onError (once per run of failures, not once per request).
      this.reportFailure(error);
      return {
        allowed: true,
        limit: policy.limit,
        remaining: policy.limit - cost,
        resetMs: 0,
        retryAfterMs: 0,
      };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.redis.status === 'ready') {
      try {
        await this.redis.quit();
        return;
      } catch {
        // fall through to a hard disconnect
      }
    }
    this.redis.disconnect();
  }

  private reportFailure(error: unknown): void {
    if (this.failing || this.closed) return;
    this.failing = true;
    try {
      this.onError(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // A failing error reporter must not turn fail-open into a crash.
    }
  }
}

/** Resolves once the client is ready, has failed, or `timeoutMs` passed; never rejects. */
function settleOnFirstContact(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const settle = (): void => {
      clearTimeout(timer);
      for (const event of ['ready', 'error', 'end'] as const) redis.off(event, settle);
      resolve();
    };
    const timer = setTimeout(settle, timeoutMs);
    timer.unref();
    for (const event of ['ready', 'error', 'end'] as const) redis.on(event, settle);
  });
}

function decodeReply(reply: unknown, policy: RateLimitPolicy): RateLimitDecision {
  if (!Array.isArray(reply) || reply.length !== 4 || !reply.every((n) => Number.isFinite(n))) {
    throw new Error(`unexpected rate limit script reply: ${JSON.stringify(reply)}`);
  }
  const [allowed, remaining, resetUs, retryAfterUs] = reply as [number, number, number, number];
  return {
    allowed: allowed === 1,
    limit: policy.limit,
    remaining: Math.max(0, remaining),
    resetMs: usToMs(resetUs),
    retryAfterMs: allowed === 1 ? 0 : Math.max(1, usToMs(retryAfterUs)),
  };
}
