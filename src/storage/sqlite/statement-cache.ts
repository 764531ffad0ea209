// Kysely's SQLite driver prepares every statement it runs; preparing costs more than running most
// of storyflow's statements. This wrapper hands Kysely cached prepared statements (least recently
// used ones are dropped past `size`). Streams (`iterate`) get a fresh statement each, so a query
// run while a stream of the same SQL is open never finds its statement busy.
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

export function withStatementCache(db: BetterSqlite3.Database, size = 256): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const cached = (sql: string): BetterSqlite3.Statement => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      if (cache.size >= size) {
        const oldest = cache.keys().next();
        if (oldest.done !== true) cache.delete(oldest.value);
      }
    } else {
      cache.delete(sql); // re-inserted below: the Map's order is the recency order
    }
    cache.set(sql, statement);
    return statement;
  };
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare(sql: string): SqliteStatement {
      const statement = cached(sql);
      return {
        reader: statement.reader,
        all: (parameters) => statement.all(...parameters),
        run: (parameters) => statement.run(...parameters),
        iterate: (parameters) => db.prepare(sql).iterate(...parameters),
      };
    },
  };
}
