// The rate limiter contract shared by the in-memory and the Redis implementation, the GCRA
// parameters both derive from a policy, and the IETF RateLimit headers built from a decision.
import type { RateLimitPolicy } from '../../domain/rate-limit/parse-rate-limit.js';

export type { RateLimitPolicy } from '../../domain/rate-limit/parse-rate-limit.js';

export interface RateLimitDecision {
  allowed: boolean;
  /** The policy's limit. */
  limit: number;
  /** Units that could still be consumed right now (after this one, if it was allowed). */
  remaining: number;
  /** Milliseconds until the budget is fully available again. */
  resetMs: number;
  /** Milliseconds until enough units free up to retry this request; 0 when allowed. */
  retryAfterMs: number;
}

export interface RateLimiter {
  /**
   * Takes `cost` units (default 1) from the budget of `key`. Either all of them are taken and
   * the decision is `allowed`, or none are.
   * @throws RangeError when the policy or the cost is invalid (cost above the limit can never pass)
   */
  consume(key: string, policy: RateLimitPolicy, cost?: number): Promise<RateLimitDecision>;
  /** Stops timers and connections; idempotent. */
  close(): Promise<void>;
}

/**
 * GCRA (generic cell rate algorithm) in whole microseconds so that both implementations do exact
 * integer arithmetic (epoch microseconds stay below 2^53). One unit frees every
 * `emissionIntervalUs`; a key may run `burstUs` ahead of now, i.e. `limit` units in a burst.
 */
export interface GcraParameters {
  emissionIntervalUs: number;
  burstUs: number;
  costUs: number;
}

export function gcraParameters(policy: RateLimitPolicy, cost: number): GcraParameters {
  const { limit, windowMs } = policy;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`rate limit must be a positive integer, got ${limit}`);
  }
  if (!Number.isFinite(windowMs) || windowMs <= 0 || windowMs * 1000 > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`rate limit window must be a positive number of ms, got ${windowMs}`);
  }
  if (!Number.isSafeInteger(cost) || cost < 0 || cost > limit) {
    throw new RangeError(`rate limit cost must be an integer from 0 to ${limit}, got ${cost}`);
  }
  // Rounded down so that a key idle for one whole window has its whole budget back; the
  // effective window (`limit` intervals) is then at most `limit` microseconds shorter.
  const emissionIntervalUs = Math.max(1, Math.floor((windowMs * 1000) / limit));
  return {
    emissionIntervalUs,
    burstUs: emissionIntervalUs * limit,
    costUs: emissionIntervalUs * cost,
  };
}

/** Microseconds to milliseconds, rounded up so a client never retries too early. */
export function usToMs(us: number): number {
  return Math.max(0, Math.ceil(us / 1000));
}

/**
 * `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds) and `RateLimit-Policy`
 * per the IETF RateLimit header fields draft, plus `Retry-After` (seconds, at least 1) on refusal.
 * @example reply.headers(rateLimitHeaders(decision, policy));
 */
export function rateLimitHeaders(
  decision: RateLimitDecision,
  policy: RateLimitPolicy,
): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(Math.max(0, decision.remaining)),
    'RateLimit-Reset': String(Math.max(0, Math.ceil(decision.resetMs / 1000))),
    // The draft's window is whole seconds; a sub-second window is reported as 1.
    'RateLimit-Policy': `${policy.limit};w=${Math.max(1, Math.ceil(policy.windowMs / 1000))}`,
  };
  if (!decision.allowed) {
    headers['Retry-After'] = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  }
  return headers;
}
