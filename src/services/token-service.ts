// API tokens: created with a random secret shown once, stored as a hash, scoped, revocable.
import { createHash, timingSafeEqual } from 'node:crypto';
import { type AuditContext, SYSTEM_ACTOR } from '../domain/audit/audit-context.js';
import { type AuditEntryInput, auditEntry } from '../domain/audit/audit-entry.js';
import { repositoryGlobWithinAny } from '../domain/auth/match-repository-glob.js';
import type { Principal } from '../domain/auth/principal.js';
import { hasScope, isScope, type Scope } from '../domain/auth/scopes.js';
import type { Clock } from '../domain/clock.js';
import type { IdGenerator } from '../domain/ids.js';
import { parseRateLimit, type RateLimitPolicy } from '../domain/rate-limit/parse-rate-limit.js';
import type { JsonValue } from '../domain/story/json-value.js';
import { ProblemError } from '../errors/problem-error.js';
import type { Store } from '../storage/store.js';
import type { TokenRecord } from '../storage/token-repository.js';

/** Recognisable by people and by secret scanners. */
export const TOKEN_PREFIX = 'sfp_';
const SECRET_BYTES = 32;
/** Writing last_used_at on every request would turn reads into writes; once a minute is enough. */
const TOUCH_INTERVAL_MS = 60_000;
const BOOTSTRAP_TOKEN_ID = 'tok_bootstrap_admin';

export interface CreateTokenInput {
  name: string;
  scopes: string[];
  repositories?: string[] | null;
  expiresAt?: string | null;
  rateLimit?: string | null;
}

/** A token as the API shows it: never the secret or its hash. */
export type TokenView = Omit<TokenRecord, 'secretHash'>;

export type AuthenticationFailure = 'unknown' | 'expired' | 'revoked';

export class TokenService {
  private readonly lastTouched = new Map<string, number>();
  private readonly adminTokenHashes: Buffer[];

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    /** STORYFLOW_ADMIN_TOKEN values (comma-separated in the variable, for rotation). */
    adminTokens: readonly string[] = [],
    /** The rate limit of a credential without its own (rateLimits.perToken). */
    private readonly defaultRateLimit: RateLimitPolicy = parseRateLimit('600/minute'),
  ) {
    this.adminTokenHashes = adminTokens.map((token) => sha256(token));
  }

  /** Creates a token; the answer holds the secret, which is never shown again. */
  async create(
    input: CreateTokenInput,
    creator: Principal | null,
    context: AuditContext,
  ): Promise<TokenView & { token: string }> {
    const record = this.newRecord(input, creator);
    const secret = `${TOKEN_PREFIX}${this.ids.secret(SECRET_BYTES)}`;
    record.secretHash = sha256(secret).toString('hex');
    record.hint = `${secret.slice(0, TOKEN_PREFIX.length + 4)}…`;
    await this.store.transaction(async (tx) => {
      if (record.parentId !== null) {
        // Revoked meanwhile: its children would escape the revocation.
        const parent = await tx.tokens.getToken(record.parentId);
        if (parent === undefined || parent.revokedAt !== null) {
          throw new ProblemError('forbidden', 'The token creating this one has been revoked');
        }
      }
      await tx.tokens.insertToken(record);
      await tx.audit.append([
        this.auditEntry('token.created', record, null, toView(record), context),
      ]);
    });
    return { ...toView(record), token: secret };
  }

  /**
   * On a server with no token at all and no STORYFLOW_ADMIN_TOKEN, creates one admin token so a
   * new user is never locked out. Returns its secret, or null when nothing was created. Safe
   * when several instances start together: the fixed id lets exactly one of them insert it.
   */
  async bootstrapAdminToken(): Promise<string | null> {
    if (this.adminTokenHashes.length > 0) return null;
    if ((await this.store.tokens.countTokens()) > 0) return null;
    const secret = `${TOKEN_PREFIX}${this.ids.secret(SECRET_BYTES)}`;
    const record: TokenRecord = {
      ...this.newRecord({ name: 'bootstrap admin', scopes: ['admin'] }, null),
      id: BOOTSTRAP_TOKEN_ID,
      secretHash: sha256(secret).toString('hex'),
      hint: `${secret.slice(0, TOKEN_PREFIX.length + 4)}…`,
    };
    const context: AuditContext = { actor: SYSTEM_ACTOR, requestId: null };
    const created = await this.store.transaction(async (tx) => {
      if (!(await tx.tokens.insertToken(record))) return false;
      await tx.audit.append([
        this.auditEntry('token.created', record, null, toView(record), context),
      ]);
      return true;
    });
    return created ? secret : null;
  }

  async list(cursor: string | undefined, limit: number, includeRevoked: boolean) {
    const records = await this.store.tokens.listTokens({
      ...(cursor === undefined ? {} : { afterId: cursor }),
      limit: limit + 1,
      includeRevoked,
    });
    const page = records.slice(0, limit);
    return {
      items: page.map(toView),
      nextCursor: records.length > limit ? (page.at(-1)?.id ?? null) : null,
    };
  }

  /**
   * Revokes a token and every token it created, and theirs, in one transaction (each audited;
   * the descendants with the reason naming the token revoked). Revoking a revoked token changes
   * nothing, except that descendants still valid are revoked.
   */
  async revoke(id: string, context: AuditContext): Promise<TokenView> {
    return this.store.transaction(async (tx) => {
      const existing = await tx.tokens.getToken(id);
      if (existing === undefined) throw new ProblemError('not-found', `No token ${id}`);
      const revokedAt = this.clock.now().toISOString();
      const entries: AuditEntryInput[] = [];
      let answer = toView(existing);
      if (existing.revokedAt === null) {
        await tx.tokens.revokeToken(id, revokedAt);
        answer = toView({ ...existing, revokedAt });
        entries.push(
          this.auditEntry('token.revoked', existing, { revokedAt: null }, { revokedAt }, context),
        );
      }
      const seen = new Set([id]);
      const pending = await tx.tokens.listChildTokenIds(id);
      for (let childId = pending.shift(); childId !== undefined; childId = pending.shift()) {
        if (seen.has(childId)) continue;
        seen.add(childId);
        const child = await tx.tokens.getToken(childId);
        if (child === undefined || !(await tx.tokens.revokeToken(childId, revokedAt))) continue;
        entries.push(
          this.auditEntry(
            'token.revoked',
            child,
            { revokedAt: null },
            { revokedAt },
            { ...context, reason: `revoked with ${child.parentId ?? id}, which created it` },
          ),
        );
        pending.push(...(await tx.tokens.listChildTokenIds(childId)));
      }
      if (entries.length > 0) await tx.audit.append(entries);
      return answer;
    });
  }

  private auditEntry(
    action: string,
    token: TokenRecord,
    before: JsonValue | null,
    after: TokenView | JsonValue | null,
    context: AuditContext,
  ): AuditEntryInput {
    return auditEntry({
      occurredAt: this.clock.now().toISOString(),
      actor: context.actor,
      action,
      targetType: 'token',
      targetId: token.id,
      before,
      // A token view holds no secret and no hash, so it is safe in the log.
      after: after as JsonValue | null,
      requestId: context.requestId,
      reason: context.reason,
    });
  }

  /** The principal a bearer secret stands for, or why it stands for none. */
  async authenticate(secret: string): Promise<Principal | AuthenticationFailure> {
    const hash = sha256(secret);
    for (const adminHash of this.adminTokenHashes) {
      if (timingSafeEqual(hash, adminHash)) {
        return {
          kind: 'bootstrap',
          id: 'env:STORYFLOW_ADMIN_TOKEN',
          name: 'STORYFLOW_ADMIN_TOKEN',
          scopes: ['admin'],
          repositories: null,
          repositoryIds: null,
          rateLimit: null,
        };
      }
    }
    if (!secret.startsWith(TOKEN_PREFIX)) return 'unknown';
    // Lookup by hash: the secret has 256 bits of entropy, so a fast hash is enough and the
    // database comparison reveals nothing useful about it.
    const record = await this.store.tokens.findTokenBySecretHash(hash.toString('hex'));
    if (record === undefined) return 'unknown';
    if (record.revokedAt !== null) return 'revoked';
    const now = this.clock.now();
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime())
      return 'expired';
    this.touch(record.id, now);
    return {
      kind: 'token',
      id: record.id,
      name: record.name,
      scopes: record.scopes,
      repositories: record.repositories,
      repositoryIds: null,
      rateLimit: record.rateLimit,
      expiresAt: record.expiresAt,
    };
  }

  private touch(id: string, now: Date): void {
    const last = this.lastTouched.get(id) ?? 0;
    if (now.getTime() - last < TOUCH_INTERVAL_MS) return;
    this.lastTouched.set(id, now.getTime());
    // Best effort: a failed last-used update must not fail the request it describes.
    this.store.tokens.touchToken(id, now.toISOString()).catch(() => this.lastTouched.delete(id));
  }

  private newRecord(input: CreateTokenInput, creator: Principal | null): TokenRecord {
    const errors: { field: string; message: string }[] = [];
    const scopes = [...new Set(input.scopes)];
    scopes.forEach((scope, index) => {
      if (!isScope(scope))
        errors.push({ field: `scopes.${index}`, message: `"${scope}" is not a scope` });
    });
    if (scopes.length === 0)
      errors.push({ field: 'scopes', message: 'must name at least one scope' });
    const now = this.clock.now();
    if (input.expiresAt !== undefined && input.expiresAt !== null) {
      const expires = Date.parse(input.expiresAt);
      if (Number.isNaN(expires)) {
        errors.push({ field: 'expiresAt', message: 'must be an ISO-8601 date-time' });
      } else if (expires <= now.getTime()) {
        errors.push({ field: 'expiresAt', message: 'must be in the future' });
      }
    }
    if (input.rateLimit !== undefined && input.rateLimit !== null) {
      try {
        parseRateLimit(input.rateLimit);
      } catch (error) {
        errors.push({ field: 'rateLimit', message: (error as Error).message });
      }
    }
    if (errors.length > 0) {
      throw new ProblemError('validation', `${errors[0]!.field}: ${errors[0]!.message}`, {
        errors,
      });
    }
    const limits =
      creator === null
        ? { expiresAt: input.expiresAt ?? null, rateLimit: input.rateLimit ?? null }
        : this.assertMayGrant(creator, scopes as Scope[], input);
    return {
      id: this.ids.next('tok'),
      name: input.name,
      secretHash: '',
      hint: '',
      scopes,
      repositories: input.repositories ?? null,
      rateLimit: limits.rateLimit,
      expiresAt: limits.expiresAt === null ? null : new Date(limits.expiresAt).toISOString(),
      createdAt: now.toISOString(),
      createdBy: creator?.id ?? null,
      parentId: creator?.kind === 'token' ? creator.id : null,
      lastUsedAt: null,
      revokedAt: null,
    };
  }

  /**
   * Nobody hands out more than they hold: scopes and repositories stay within the creator's, the
   * expiry no later than the creator's and the rate limit no higher. Left out, the expiry and
   * rate limit are the creator's own. STORYFLOW_ADMIN_TOKEN (the operator, who sets the server's
   * limits anyway) may give any expiry and rate limit. Answers the new token's expiry and limit.
   */
  private assertMayGrant(
    creator: Principal,
    scopes: Scope[],
    input: CreateTokenInput,
  ): { expiresAt: string | null; rateLimit: string | null } {
    assertScopesAndRepositories(creator, scopes, input.repositories ?? null);
    if (creator.kind === 'bootstrap') {
      return { expiresAt: input.expiresAt ?? null, rateLimit: input.rateLimit ?? null };
    }
    const ceiling = creator.expiresAt ?? null;
    let expiresAt = input.expiresAt ?? null;
    if (ceiling !== null) {
      if (expiresAt === null) expiresAt = ceiling;
      else if (Date.parse(expiresAt) > Date.parse(ceiling)) {
        throw new ProblemError(
          'forbidden',
          `expiresAt: you cannot create a token that outlives your own credential (it expires ${ceiling})`,
          { field: 'expiresAt', maxExpiresAt: ceiling },
        );
      }
    }
    let rateLimit = input.rateLimit ?? null;
    if (rateLimit === null) {
      rateLimit = creator.rateLimit;
    } else {
      const own =
        creator.rateLimit === null ? this.defaultRateLimit : parseRateLimit(creator.rateLimit);
      if (perSecond(parseRateLimit(rateLimit)) > perSecond(own)) {
        const spelled = creator.rateLimit ?? `${own.limit}/${own.windowMs}ms (the default)`;
        throw new ProblemError(
          'forbidden',
          `rateLimit: you cannot create a token with a higher rate limit than your own (${spelled})`,
          { field: 'rateLimit', maxRateLimit: spelled },
        );
      }
    }
    return { expiresAt, rateLimit };
  }
}

/** Requests per second a rate limit allows on average. */
function perSecond(policy: RateLimitPolicy): number {
  return (policy.limit * 1000) / policy.windowMs;
}

function assertScopesAndRepositories(
  creator: Principal,
  scopes: Scope[],
  repositories: string[] | null,
): void {
  const beyond = scopes.filter((scope) => !hasScope(creator.scopes, scope));
  if (beyond.length > 0) {
    throw new ProblemError(
      'forbidden',
      `You cannot grant scopes you do not hold: ${beyond.join(', ')}`,
    );
  }
  if (creator.repositories !== null) {
    const outside =
      repositories === null
        ? ['(any repository)']
        : // A requested glob must stay inside one of the creator's (acme/** is not within acme/*).
          repositories.filter((glob) => !repositoryGlobWithinAny(glob, creator.repositories ?? []));
    if (outside.length > 0) {
      throw new ProblemError(
        'forbidden',
        `You cannot grant repositories outside your own: ${outside.join(', ')}`,
      );
    }
  }
}

function toView(record: TokenRecord): TokenView {
  return {
    id: record.id,
    name: record.name,
    hint: record.hint,
    scopes: record.scopes,
    repositories: record.repositories,
    rateLimit: record.rateLimit,
    expiresAt: record.expiresAt,
    createdAt: record.createdAt,
    createdBy: record.createdBy,
    parentId: record.parentId,
    lastUsedAt: record.lastUsedAt,
    revokedAt: record.revokedAt,
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
