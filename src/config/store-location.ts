// The one parser of a database URL (STORYFLOW_DATABASE_URL, database.url, --database-url): config
// turns it into a StoreLocation once, and storage, the app and the threads take that location.

/** The SQLite filename of a database that lives in this process's memory only. */
export const SQLITE_MEMORY = ':memory:';

export type StoreLocation =
  /** A SQLite file (a relative path is relative to the working directory) or `:memory:`. */
  | { readonly dialect: 'sqlite'; readonly filename: string }
  /** A PostgreSQL server; the URL is handed to `pg` as it is. */
  | { readonly dialect: 'postgres'; readonly connectionString: string };

export const ACCEPTED_STORE_URLS =
  'sqlite:./relative/path.db, sqlite:/absolute/path.db, sqlite::memory:, postgres://user@host:5432/db or postgresql://…';

/** A database URL storyflow does not accept; the message says why, with any password hidden. */
export class StoreUrlError extends Error {
  constructor(problem: string) {
    super(problem);
    this.name = 'StoreUrlError';
  }
}

/**
 * Parses a database URL; throws a StoreUrlError naming the accepted forms.
 * @example parseStoreLocation('sqlite::memory:') // { dialect: 'sqlite', filename: ':memory:' }
 */
export function parseStoreLocation(url: string): StoreLocation {
  const trimmed = url.trim();
  const shown = JSON.stringify(redact(url));
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    if (!pgCanParse(trimmed)) {
      const port = badPort(trimmed);
      throw new StoreUrlError(
        `${shown} is not a valid PostgreSQL URL${
          port === null ? '' : ` (port ${JSON.stringify(port)} is not a number from 0 to 65535)`
        }; expected one of ${ACCEPTED_STORE_URLS}`,
      );
    }
    return { dialect: 'postgres', connectionString: trimmed };
  }
  if (/^sqlite:/i.test(trimmed)) {
    const filename = trimmed.slice('sqlite:'.length);
    if (filename === SQLITE_MEMORY) return { dialect: 'sqlite', filename };
    // `sqlite://…` is rejected rather than guessed at (host part or absolute path?).
    if (filename !== '' && !filename.startsWith('//')) return { dialect: 'sqlite', filename };
  }
  throw new StoreUrlError(
    `${shown} is not a database URL storyflow accepts; expected one of ${ACCEPTED_STORE_URLS}`,
  );
}

/**
 * Whether `pg` (pg-connection-string) can read this URL: the same steps it takes, so a URL
 * accepted here does not fail later, at the first connection, with a stack trace.
 */
function pgCanParse(url: string): boolean {
  const encoded = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(url)
    ? encodeURI(url).replace(/%25(\d\d)/g, '%$1')
    : url;
  for (const candidate of [encoded, encoded.replace('@/', '@___DUMMY___/')]) {
    try {
      new URL(candidate, 'postgres://base');
      return true;
    } catch {
      // try the next form, as pg does
    }
  }
  return false;
}

/** The port of a URL's host part when it is not a number from 0 to 65535, else null. */
function badPort(url: string): string | null {
  const authority = /^[a-z]+:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const port = /:([^:\]]*)$/.exec(hostPort)?.[1];
  if (port === undefined || port === '') return null;
  return /^\d+$/.test(port) && Number(port) <= 65535 ? null : port;
}

/** Hides a password in URL-shaped input so error messages can be logged. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):.*@/, '//$1:***@');
}
