// When the outbox sender tries a call to a forge again, pure: what the forge asked for
// (Retry-After, or x-ratelimit-reset when its rate limit is spent) wins over the backoff
// schedule; the schedule's delays get ±20 % jitter so many rows do not retry in lockstep.
// A rate-limited answer is waited out by `rateLimitWait` instead, without using up an attempt.

/** Seconds before each retry; a call that failed this many + 1 times is dead. */
export const OUTBOX_RETRY_SCHEDULE = [10, 30, 60, 300, 900, 1800, 3600] as const;

/** What an answer said about when to come back. */
export interface ForgeBackoffHints {
  /** The Retry-After header: seconds or an HTTP date. */
  retryAfter: string | null;
  /** GitHub's x-ratelimit-remaining and x-ratelimit-reset (epoch seconds). */
  rateLimitRemaining: string | null;
  rateLimitReset: string | null;
}

/**
 * Milliseconds to wait before attempt `attempts + 1`, or undefined when `attempts` (made so far,
 * at least 1) have used up the schedule. `random` is in [0, 1).
 */
export function nextSendDelay(
  attempts: number,
  hints: ForgeBackoffHints,
  now: Date,
  random: number,
  schedule: readonly number[] = OUTBOX_RETRY_SCHEDULE,
): number | undefined {
  const base = schedule[attempts - 1];
  if (base === undefined) return undefined;
  const jittered = Math.round(base * 1000 * (0.8 + 0.4 * random));
  const asked = askedDelay(hints, now);
  return asked === undefined ? jittered : Math.max(asked, Math.min(jittered, asked + 1000));
}

/** The delay the forge asked for, capped at an hour; undefined when it asked nothing. */
export function askedDelay(hints: ForgeBackoffHints, now: Date): number | undefined {
  const cap = (ms: number) => Math.min(Math.max(ms, 0), 3_600_000);
  if (hints.retryAfter !== null) {
    const value = hints.retryAfter.trim();
    if (/^\d{1,7}$/.test(value)) return cap(Number(value) * 1000);
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return cap(date - now.getTime());
  }
  if (hints.rateLimitRemaining?.trim() === '0' && hints.rateLimitReset !== null) {
    const reset = hints.rateLimitReset.trim();
    if (/^\d{1,12}$/.test(reset)) return cap(Number(reset) * 1000 - now.getTime() + 1000);
  }
  return undefined;
}

/** The first wait after a secondary rate limit that says nothing of when to come back. */
export const SECONDARY_LIMIT_WAIT_MS = 60_000;

/**
 * Milliseconds to wait after a rate-limited answer (429, or GitHub's primary or secondary limit
 * on 403), the `consecutive`-th in a row for this forge (at least 1): what the forge asked for
 * when it said (Retry-After, or x-ratelimit-reset with x-ratelimit-remaining 0), else, as
 * GitHub's docs ask for secondary limits, a minute, doubling with each limited answer in a row,
 * at most an hour.
 * https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately
 */
export function rateLimitWait(hints: ForgeBackoffHints, now: Date, consecutive: number): number {
  const asked = askedDelay(hints, now);
  if (asked !== undefined) return asked;
  return Math.min(
    SECONDARY_LIMIT_WAIT_MS * 2 ** Math.min(Math.max(consecutive - 1, 0), 6),
    3_600_000,
  );
}
