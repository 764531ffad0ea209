// How the CLI (api-client.ts) and pipeline steps (ci/ci-http.ts) wait before asking again: the
// server's Retry-After when it sends one (seconds or an HTTP date, capped), else exponential
// backoff (capped, with optional jitter). Each client has its own policy, declared side by side.

export interface RetryPolicy {
  /** The answers worth asking again for; anything else is final. */
  retryable: ReadonlySet<number>;
  /** Backoff before the second attempt; it doubles with each attempt after that. */
  firstBackoffMs: number;
  /** Longest backoff. */
  maxBackoffMs: number;
  /** Random spread of each backoff as a fraction: 0.2 waits between 80 % and 120 % of it. */
  jitter: number;
  /** Longest wait a Retry-After header can ask for. */
  maxRetryAfterMs: number;
}

/** The CLI: a person is waiting, so waits are short; it sends no Idempotency-Key (see below). */
export const CLI_RETRY_POLICY: RetryPolicy = Object.freeze({
  retryable: new Set([429, 502, 503, 504]),
  firstBackoffMs: 250,
  maxBackoffMs: 4000,
  jitter: 0,
  maxRetryAfterMs: 30_000,
});

/** Pipeline steps: a job can wait out a server restart, so waits may be longer than the CLI's. */
export const CI_RETRY_POLICY: RetryPolicy = Object.freeze({
  // Also 408 and 500: each CI write sends an Idempotency-Key, so a repeat never applies twice.
  retryable: new Set([408, 429, 500, 502, 503, 504]),
  firstBackoffMs: 500,
  maxBackoffMs: 8000,
  jitter: 0.2,
  maxRetryAfterMs: 60_000,
});

/** The wait before attempt `attempt + 1` when the server named none. */
export function backoffMs(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.firstBackoffMs * 2 ** (attempt - 1), policy.maxBackoffMs);
  return policy.jitter === 0 ? base : base * (1 - policy.jitter + random() * 2 * policy.jitter);
}

/**
 * The wait a Retry-After header asks for (delay-seconds or an HTTP date, RFC 9110 §10.2.3),
 * between 0 and the policy's cap; undefined without a header or with one that is neither.
 */
export function retryAfterMs(
  policy: RetryPolicy,
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  return Number.isNaN(ms) ? undefined : Math.min(Math.max(ms, 0), policy.maxRetryAfterMs);
}

/** The wait before attempt `attempt + 1`: what the server asked for, else the backoff. */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfter: string | null,
  random: () => number = Math.random,
): number {
  return retryAfterMs(policy, retryAfter) ?? backoffMs(policy, attempt, random);
}
