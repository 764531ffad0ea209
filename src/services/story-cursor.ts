// Opaque list cursors: the id of the last story on the previous page, base64url-encoded.
import { ProblemError } from '../errors/problem-error.js';

export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof value === 'object' && value !== null && 'after' in value) {
      const after = (value as { after: unknown }).after;
      if (typeof after === 'string') return after;
    }
  } catch {
    // fall through to the problem below
  }
  throw new ProblemError('validation', 'cursor: not a cursor returned by this API', {
    errors: [{ field: 'cursor', message: 'not a cursor returned by this API' }],
  });
}
