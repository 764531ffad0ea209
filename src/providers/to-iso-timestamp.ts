// Turns the time formats webhook payloads use into one ISO 8601 form, without reading the clock.

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;
// GitLab: "2016-08-12 15:23:28 UTC" and "2021-04-28 21:50:00 +0200".
const SPACED = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) (UTC|[+-]\d{2}:?\d{2})$/;

/**
 * The instant `value` names, as `YYYY-MM-DDTHH:MM:SS.sssZ`, or undefined when it is not a
 * timestamp this function recognises. Accepts ISO 8601 with an offset, GitLab's spaced forms,
 * and numbers as Unix seconds (GitHub's push `repository.pushed_at`). Strings without a zone
 * are rejected rather than read in the server's local time.
 */
export function toIsoTimestamp(value: unknown): string | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? fromMillis(value * 1000) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const spaced = SPACED.exec(value);
  if (spaced) {
    const [, date, time, zone] = spaced;
    return fromMillis(Date.parse(`${date}T${time}${zone === 'UTC' ? 'Z' : withColon(zone)}`));
  }
  if (!ISO.test(value)) return undefined;
  return fromMillis(Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')));
}

function withColon(zone: string | undefined): string {
  return (zone ?? '').replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
}

// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: outside them toISOString writes a
// six-digit signed year ("-000001-12-31T…"), which is not the form events promise.
const FIRST_MILLIS = Date.parse('0000-01-01T00:00:00.000Z');
const LAST_MILLIS = Date.parse('9999-12-31T23:59:59.999Z');

function fromMillis(millis: number): string | undefined {
  if (!Number.isFinite(millis) || millis < FIRST_MILLIS || millis > LAST_MILLIS) return undefined;
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
