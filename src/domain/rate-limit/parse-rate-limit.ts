// Reads a rate limit spec such as `600/minute` or `50/30s` into a policy: at most `limit`
// units of work per `windowMs` milliseconds. Pure; callers turn the Error into a ConfigError.

export interface RateLimitPolicy {
  /** Units (usually requests) allowed per window; a positive integer. */
  limit: number;
  /** Length of the window in milliseconds; a positive integer. */
  windowMs: number;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

const SPEC = /^(\S+?)\s*\/\s*(\d*)\s*([a-z]+)$/i;
const EXAMPLES = 'e.g. 600/minute, 10/second, 5000/hour, 100/day, 50/30s or 1000/5m';

/**
 * @example
 * parseRateLimit('600/minute'); // { limit: 600, windowMs: 60000 }
 * parseRateLimit('50/30s'); // { limit: 50, windowMs: 30000 }
 */
export function parseRateLimit(spec: string): RateLimitPolicy {
  const match = SPEC.exec(spec.trim());
  if (match === null) {
    throw new Error(`invalid rate limit "${spec}": expected <limit>/<window>, ${EXAMPLES}`);
  }
  const [, rawLimit = '', rawCount = '', rawUnit = ''] = match;
  if (!/^\d+$/.test(rawLimit) || Number(rawLimit) < 1 || !Number.isSafeInteger(Number(rawLimit))) {
    throw new Error(
      `invalid rate limit "${spec}": the limit "${rawLimit}" must be a positive whole number (${EXAMPLES})`,
    );
  }
  const unitMs = UNIT_MS[rawUnit.toLowerCase()];
  if (unitMs === undefined) {
    throw new Error(
      `invalid rate limit "${spec}": unknown window unit "${rawUnit}", use ms, s, m, h, d or second, minute, hour, day`,
    );
  }
  const count = rawCount === '' ? 1 : Number(rawCount);
  const windowMs = count * unitMs;
  if (count < 1 || !Number.isSafeInteger(windowMs)) {
    throw new Error(
      `invalid rate limit "${spec}": the window "${rawCount}${rawUnit}" must be a positive length of time`,
    );
  }
  return { limit: Number(rawLimit), windowMs };
}
