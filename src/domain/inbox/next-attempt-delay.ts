// When a failed delivery is tried again: the configured schedule, with ±20 % jitter so a burst
// of failures does not come back as a burst.

/**
 * The delay in ms before retry number `failedAttempts` (1 after the first failure), or null
 * when the schedule is used up and the delivery is dead.
 * @example nextAttemptDelay([60, 300], 1, 0.5) // 60_000
 */
export function nextAttemptDelay(
  scheduleSeconds: readonly number[],
  failedAttempts: number,
  random: number,
): number | null {
  const base = scheduleSeconds[failedAttempts - 1];
  if (base === undefined) return null;
  const jitter = 1 + (random * 2 - 1) * 0.2;
  return Math.max(0, Math.round(base * 1000 * jitter));
}
