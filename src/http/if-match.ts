import { ProblemError } from '../errors/problem-error.js';

/**
 * What If-Match accepts: `*`, or exactly one strong ETag as this API writes it, `"<version>"`
 * (a decimal integer without leading zeros, at most 15 digits). A weak `W/"3"` (RFC 9110: a
 * weak tag never matches in If-Match), a bare `3`, a half-quoted `"3`, a list `"1", "2"` and
 * anything else is refused with 400: a list would only ever be a client's mistake here, since
 * a story has one current version (docs/api.md, "Versions, ETags and If-Match").
 */
const STRONG_ETAG = /^"(0|[1-9]\d{0,14})"$/;

/** The story version an If-Match header names, or undefined when absent or `*`. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return undefined;
  const match = STRONG_ETAG.exec(value);
  if (match?.[1] === undefined) throw badIfMatch(value);
  return Number(match[1]);
}

function badIfMatch(value: string): ProblemError {
  const reason = value.startsWith('W/')
    ? 'a weak ETag never matches: send the strong ETag, e.g. "3"'
    : value.includes(',')
      ? 'takes one ETag, e.g. "3", not a list'
      : 'not an ETag returned by this API: send it as the ETag header gave it, e.g. "3"';
  return new ProblemError('bad-request', `If-Match ${reason}`, {
    errors: [{ field: 'If-Match', message: reason }],
  });
}
