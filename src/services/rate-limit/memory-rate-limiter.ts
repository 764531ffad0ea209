// Per-process rate limiter: GCRA with one "theoretical arrival time" (TAT) per key in a Map.
// Idle keys (TAT in the past, i.e. a full budget) are swept periodically, and a size cap evicts
// the least recently used key so memory stays bounded even under a flood of distinct keys.
import { type Clock, systemClock } from '../../domain/clock.js';
import type { RateLimitPolicy } from '../../domain/rate-limit/parse-rate-limit.js';
import {
  gcraParameters,
  type RateLimitDecision,
  type RateLimiter,
  usToMs,
} from './rate-limiter.js';

export interface MemoryRateLimiterOptions {
  clock?: Clock;
  /** How often idle keys are dropped; 0 disables the timer (call sweep() yourself). */
  sweepIntervalMs?: number;
  /**
   * Most keys kept; beyond it the least recently used key is dropped, which resets its budget.
   * Only reached when more distinct keys are active at once than this.
   */
  maxKeys?: number;
}

const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
const DEFAULT_MAX_KEYS = 100_000;

/**
 * @example
 * const limiter = new MemoryRateLimiter({ clock: systemClock });
 * const decision = await limiter.consume(`token:${id}`, parseRateLimit('600/minute'));
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly clock: Clock;
  private readonly maxKeys: number;
  /** key → TAT in epoch microseconds; Map order is least recently used first. */
  private readonly tats = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.maxKeys = Math.max(1, options.maxKeys ?? DEFAULT_MAX_KEYS);
    const interval = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    if (interval > 0) {
      this.timer = setInterval(() => this.sweep(), interval);
      // The sweep alone must never keep the process alive.
      this.timer.unref();
    }
  }

  /** Number of keys currently held. */
  get size(): number {
    return this.tats.size;
  }

  async consume(key: string, policy: RateLimitPolicy, cost = 1): Promise<RateLimitDecision> {
    const { burstUs, costUs, emissionIntervalUs } = gcraParameters(policy, cost);
    const nowUs = this.clock.now().getTime() * 1000;
    const tatUs = Math.max(this.tats.get(key) ?? nowUs, nowUs);
    const newTatUs = tatUs + costUs;
    this.tats.delete(key);

    if (newTatUs - nowUs > burstUs) {
      if (tatUs > nowUs) this.tats.set(key, tatUs);
      return {
        allowed: false,
        limit: policy.limit,
        remaining: Math.floor((burstUs - (tatUs - nowUs)) / emissionIntervalUs),
        resetMs: usToMs(tatUs - nowUs),
        retryAfterMs: Math.max(1, usToMs(newTatUs - burstUs - nowUs)),
      };
    }
    if (newTatUs > nowUs) {
      this.tats.set(key, newTatUs);
      this.evictOverflow();
    }
    return {
      allowed: true,
      limit: policy.limit,
      remaining: Math.floor((burstUs - (newTatUs - nowUs)) / emissionIntervalUs),
      resetMs: usToMs(newTatUs - nowUs),
      retryAfterMs: 0,
    };
  }

  /** Drops every key whose budget is full again; returns how many were dropped. */
  sweep(): number {
    const nowUs = this.clock.now().getTime() * 1000;
    let dropped = 0;
    for (const [key, tatUs] of this.tats) {
      if (tatUs <= nowUs) {
        this.tats.delete(key);
        dropped += 1;
      }
    }
    return dropped;
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.tats.clear();
  }

  private evictOverflow(): void {
    while (this.tats.size > this.maxKeys) {
      const oldest = this.tats.keys().next();
      if (oldest.done === true) return;
      this.tats.delete(oldest.value);
    }
  }
}
