// Which errors mean "the database cannot be used right now" (disk full, I/O error, server down or
// restarting, connection lost) rather than a bug: those are answered 503 with Retry-After, make
// /readyz say not ready, and are recorded with their real cause.

/** SQLite result codes (better-sqlite3's `code`, extended codes included) of a storage failure. */
const SQLITE_UNAVAILABLE = /^SQLITE_(FULL|IOERR|CANTOPEN|READONLY|BUSY|NOMEM|PROTOCOL)(_|$)/;

/**
 * PostgreSQL SQLSTATE classes and codes of a storage failure: 08 connection exception,
 * 53 insufficient resources (53100 disk full), 58 system error (I/O), 57P01–57P03 the server
 * shuts down, crashed or is starting up.
 */
const POSTGRES_UNAVAILABLE = /^(08|53|58)[0-9A-Z]{3}$|^57P0[123]$/;

/** Operating system errors of a connection or a file. */
const SYSTEM_UNAVAILABLE: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ENOSPC: 'no space left on device',
  EFBIG: 'file too large',
  EIO: 'I/O error',
};

/** pg and Kysely errors without a code, raised when a connection is lost or cannot be had. */
const CONNECTION_LOST =
  /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|timeout exceeded when trying to connect|Postgres connection has been discarded)/;

interface CodedError {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as CodedError | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  const message = (error as CodedError | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** The errors inside an AggregateError (a connection tried on several addresses), or none. */
function innerErrors(error: unknown): unknown[] {
  const errors = (error as CodedError | null)?.errors;
  return Array.isArray(errors) ? errors : [];
}

/** Whether `error` says the database is unavailable (as opposed to a bug or a bad request). */
export function isStorageUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = codeOf(error);
  if (code !== undefined) {
    if (SQLITE_UNAVAILABLE.test(code) || POSTGRES_UNAVAILABLE.test(code)) return true;
    if (code in SYSTEM_UNAVAILABLE) return true;
  }
  if (CONNECTION_LOST.test(messageOf(error))) return true;
  return innerErrors(error).some(isStorageUnavailable);
}

/**
 * A short, loggable description of a storage failure: the database's own message and its code
 * (`database or disk is full (SQLITE_FULL)`, `the database system is shutting down (57P03)`), or
 * for a connection error the kind without the address (`connection refused (ECONNREFUSED)`).
 */
export function storageFailureReason(error: unknown): string {
  const code = codeOf(error) ?? codeOf(innerErrors(error).find((inner) => codeOf(inner)));
  if (code !== undefined && code in SYSTEM_UNAVAILABLE) {
    return `${SYSTEM_UNAVAILABLE[code]} (${code})`;
  }
  const message = messageOf(error).split('\n')[0]!.slice(0, 300);
  return code === undefined ? message : `${message} (${code})`;
}
