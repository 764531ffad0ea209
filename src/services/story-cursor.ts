// Story list cursors: the id of the last story on the previous page.
import * as listCursor from './list-cursor.js';

export function encodeCursor(lastId: string): string {
  return listCursor.encodeCursor({ after: lastId });
}

export function decodeCursor(cursor: string): string {
  return listCursor.decodeCursor(cursor, (value) => {
    if (typeof value !== 'object' || value === null || !('after' in value)) return undefined;
    const after = (value as { after: unknown }).after;
    return typeof after === 'string' ? after : undefined;
  });
}
