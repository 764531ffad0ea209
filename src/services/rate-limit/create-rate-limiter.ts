// Picks the rate limiter: shared through Redis when a URL is configured (several instances),
// otherwise in memory (one instance).
import type { Clock } from '../../domain/clock.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import type { RateLimiter } from './rate-limiter.js';

export interface CreateRateLimiterOptions {
  /** When set (and not blank), budgets live in Redis and are shared by every instance. */
  redisUrl?: string;
  /** Only used by the in-memory limiter; Redis uses its server clock. */
  clock?: Clock;
  /** Redis failures (the limiter then fails open); never called by the in-memory limiter. */
  onError?: (error: Error) => void;
}

/**
 * @example
 * const limiter = await createRateLimiter({ redisUrl: config.redisUrl, onError: (e) => log.warn(e) });
 */
export async function createRateLimiter(
  options: CreateRateLimiterOptions = {},
): Promise<RateLimiter> {
  const url = options.redisUrl?.trim();
  if (url !== undefined && url !== '') {
    // Loaded only when used: `ioredis` costs memory that a single instance never needs.
    const { RedisRateLimiter } = await import('./redis-rate-limiter.js');
    return new RedisRateLimiter({ url, onError: options.onError });
  }
  return new MemoryRateLimiter({ clock: options.clock });
}
