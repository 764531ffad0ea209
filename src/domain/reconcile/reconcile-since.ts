// Where a reconciliation starts: `since` given as a duration back from now (`90m`, `24h`, `3d`)
// or an ISO-8601 time, bounded to the window GitHub keeps webhook deliveries for (3 days).

/** GitHub lists a hook's deliveries of the past 3 days. */
export const DELIVERY_WINDOW_MS = 3 * 24 * 3_600_000;

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 24 * 3_600_000 } as const;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The time `input` names, or why it names none.
 * @example reconcileSince('24h', now) // { since: now − 24 h }
 */
export function reconcileSince(input: string, now: Date): { since: Date } | { error: string } {
  const duration = /^(\d{1,6})([mhd])$/.exec(input.trim());
  let since: Date;
  if (duration !== null) {
    since = new Date(now.getTime() - Number(duration[1]) * UNIT_MS[duration[2] as 'm' | 'h' | 'd']);
  } else if (ISO_TIME.test(input.trim())) {
    since = new Date(input.trim());
    // Date rolls 30 February over to March: a day past the month's end is refused here.
    const [year, month, day] = input.trim().slice(0, 10).split('-').map(Number) as [
      number,
      number,
      number,
    ];
    if (
      Number.isNaN(since.getTime()) ||
      new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day
    )
      return { error: `${input} is not a valid time` };
  } else {
    return {
      error: 'must be a duration back from now (30m, 24h, 3d) or an ISO-8601 time with a zone',
    };
  }
  if (since.getTime() > now.getTime()) return { error: 'must not be in the future' };
  if (now.getTime() - since.getTime() > DELIVERY_WINDOW_MS)
    return { error: 'must be within the last 3 days (GitHub keeps deliveries for 3 days)' };
  return { since };
}
