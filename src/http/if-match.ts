import { ProblemError } from '../errors/problem-error.js';

/**
 * The story version an If-Match header names, or undefined when absent or `*`.
 * Accepts `"3"`, `W/"3"` and a bare `3`.
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(header);
  if (match?.[1] === undefined) {
    throw new ProblemError(
      'bad-request',
      'If-Match must be an ETag returned by this API, e.g. "3"',
      {
        errors: [{ field: 'If-Match', message: 'not an ETag returned by this API' }],
      },
    );
  }
  return Number(match[1]);
}
