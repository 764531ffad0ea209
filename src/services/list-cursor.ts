// Opaque list cursors: base64url-encoded JSON, read back by a function that checks its shape.
// Every list of the API answers a cursor it cannot read with the same validation problem.
import { ProblemError } from '../errors/problem-error.js';

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Decodes `cursor` and hands it to `read`; undefined from `read` means not a cursor of ours. */
export function decodeCursor<T>(cursor: string, read: (value: unknown) => T | undefined): T {
  let decoded: T | undefined;
  try {
    decoded = read(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown);
  } catch {
    decoded = undefined;
  }
  if (decoded !== undefined) return decoded;
  throw new ProblemError('validation', 'cursor: not a cursor returned by this API', {
    errors: [{ field: 'cursor', message: 'not a cursor returned by this API' }],
  });
}

/** A cursor of two strings, e.g. [time, id] for lists ordered newest first. */
export function readStringPair(value: unknown): [string, string] | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [first, second] = value as unknown[];
  return typeof first === 'string' && typeof second === 'string' ? [first, second] : undefined;
}
