// Console sessions, kept in this process's memory: a random session id (the cookie) maps to the
// token it was signed in with and a CSRF token. The token is authenticated again on every request,
// so a revoked or expired token ends its sessions at once. Sessions end after an idle time and
// after an absolute lifetime, and are lost when the server restarts (people sign in again);
// with several instances behind a load balancer, a session lives on the instance that made it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ConsoleSession {
  /** The API token the person signed in with; never sent to the browser. */
  token: string;
  /** The synchronizer token every state-changing request must carry. */
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
}

export interface SessionLimits {
  idleMs: number;
  absoluteMs: number;
  /** Sessions kept at most; the least recently used goes first. */
  max: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  idleMs: 30 * 60_000,
  absoluteMs: 12 * 3_600_000,
  max: 10_000,
};

export class ConsoleSessions {
  /** By the SHA-256 of the session id, in least-recently-used order (Map keeps insertion order). */
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(
    private readonly limits: SessionLimits,
    private readonly now: () => number,
  ) {}

  /** Starts a session; answers its id (for the cookie only). */
  create(token: string): { id: string; session: ConsoleSession } {
    const id = randomBytes(32).toString('base64url');
    const at = this.now();
    const session = {
      token,
      csrf: randomBytes(32).toString('base64url'),
      createdAt: at,
      lastSeenAt: at,
    };
    this.sessions.set(key(id), session);
    while (this.sessions.size > this.limits.max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    return { id, session };
  }

  /** The live session of a cookie value (touching it), or undefined when unknown or expired. */
  get(id: string | undefined): ConsoleSession | undefined {
    return this.find(id, true);
  }

  /** Whether the session is still live, without counting this as activity (an open stream). */
  isLive(id: string): boolean {
    return this.find(id, false) !== undefined;
  }

  private find(id: string | undefined, touch: boolean): ConsoleSession | undefined {
    if (id === undefined || !/^[\w-]{43}$/.test(id)) return undefined;
    const hashed = key(id);
    const session = this.sessions.get(hashed);
    if (session === undefined) return undefined;
    const at = this.now();
    if (
      at - session.lastSeenAt > this.limits.idleMs ||
      at - session.createdAt > this.limits.absoluteMs
    ) {
      this.sessions.delete(hashed);
      return undefined;
    }
    if (!touch) return session;
    session.lastSeenAt = at;
    this.sessions.delete(hashed);
    this.sessions.set(hashed, session);
    return session;
  }

  delete(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(key(id));
  }

  /** Ends every session signed in with this token (it no longer authenticates). */
  deleteToken(token: string): void {
    for (const [hashed, session] of this.sessions) {
      if (session.token === token) this.sessions.delete(hashed);
    }
  }

  get size(): number {
    return this.sessions.size;
  }
}

function key(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

/** Whether `sent` is the session's CSRF token (constant time). */
export function csrfMatches(session: ConsoleSession, sent: unknown): boolean {
  if (typeof sent !== 'string' || sent.length !== session.csrf.length) return false;
  return timingSafeEqual(Buffer.from(sent), Buffer.from(session.csrf));
}
