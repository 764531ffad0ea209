// Idempotency-Key semantics (IETF draft "The Idempotency-Key HTTP Header Field", Stripe's API):
// the first request with a key claims it and runs; its answer is stored; the same key and the
// same request are answered with the stored answer; another request with the key is refused (422);
// while the first still runs, the key is busy (409). Keys are per principal (token).
import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { ProblemError } from '../errors/problem-error.js';
import type {
  IdempotencyClaim,
  IdempotencyRecord,
  IdempotencyRepository,
  StoredResponse,
} from '../storage/idempotency-repository.js';

/** An answer stored under an Idempotency-Key, replayed as is. */
export type { StoredResponse } from '../storage/idempotency-repository.js';

export interface IdempotencyOptions {
  /** How long an answer is kept and replayed. */
  ttlMs: number;
  /**
   * A claim's lease: the request holding it renews it every quarter of this while it runs, so a
   * claim not renewed for this long belongs to a process that died and may be taken over.
   */
  leaseMs: number;
  /** At most one opportunistic clean-up of expired keys per this interval. */
  cleanupIntervalMs: number;
}

/** What the request holding a key needs to finish it. */
export interface HeldKey {
  principalId: string;
  key: string;
  claimId: string;
}

export type IdempotencyBegin =
  | { kind: 'claimed'; held: HeldKey }
  | { kind: 'replay'; response: StoredResponse };

/** Keys are printable ASCII (what the draft's sf-string allows), at most 255 characters. */
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

/** Attempts at claiming a key that keeps vanishing or changing under us before giving up. */
const MAX_CLAIM_ATTEMPTS = 5;

export class IdempotencyService {
  private lastCleanup = 0;

  constructor(
    private readonly keys: IdempotencyRepository,
    private readonly clock: Clock,
    private readonly options: IdempotencyOptions,
    private readonly onCleanupError: (error: unknown) => void = () => {},
  ) {}

  /** A 400 problem unless `key` is a usable Idempotency-Key. */
  static assertValidKey(key: string): void {
    if (!KEY_PATTERN.test(key)) {
      throw new ProblemError(
        'validation',
        'Idempotency-Key: must be 1 to 255 printable ASCII characters',
        {
          errors: [
            {
              field: 'header.idempotency-key',
              message: 'must be 1 to 255 printable ASCII characters',
            },
          ],
        },
      );
    }
  }

  /**
   * Claims `key` for a request, or answers what to do instead: replay the stored answer, or a
   * problem (422 another request used the key; 409 the first request is still running).
   */
  async begin(principalId: string, key: string, requestHash: string): Promise<IdempotencyBegin> {
    for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt++) {
      const now = this.clock.now();
      const claim = this.newClaim(principalId, key, requestHash, now);
      if (await this.keys.insertClaim(claim)) {
        this.cleanupNowAndThen(now);
        return { kind: 'claimed', held: held(claim) };
      }
      const existing = await this.keys.findKey(principalId, key);
      if (existing === undefined) continue; // released or cleaned up meanwhile: claim again
      if (existing.expiresAt <= now.toISOString()) {
        // Expired but not yet cleaned up: the key is free again.
        if (await this.keys.replaceClaim(claim, existing.claimId)) {
          return { kind: 'claimed', held: held(claim) };
        }
        continue;
      }
      if (existing.requestHash !== requestHash) {
        throw new ProblemError(
          'idempotency-key-reused',
          'This Idempotency-Key was already used with another request (method, path or body); ' +
            'use a new key for a new request',
          { idempotencyKey: key },
        );
      }
      if (existing.state === 'completed' && existing.response !== null) {
        return { kind: 'replay', response: existing.response };
      }
      if (now.getTime() >= this.leaseEnd(existing)) {
        // The process holding the key stopped renewing its lease (it died): take the key over.
        if (await this.keys.replaceClaim(claim, existing.claimId)) {
          return { kind: 'claimed', held: held(claim) };
        }
        continue;
      }
      throw inFlight(key);
    }
    throw inFlight(key);
  }

  /** How often the request holding a key renews its lease. */
  get renewEveryMs(): number {
    return this.options.leaseMs / 4;
  }

  /** Extends the lease of a key still held; false when its claim was taken over. */
  renew(heldKey: HeldKey): Promise<boolean> {
    const leaseUntil = new Date(this.clock.now().getTime() + this.options.leaseMs).toISOString();
    return this.keys.renewClaim(heldKey.principalId, heldKey.key, heldKey.claimId, leaseUntil);
  }

  /** Stores the answer of the request holding the key; false when its claim was taken over. */
  complete(heldKey: HeldKey, response: StoredResponse): Promise<boolean> {
    const expiresAt = new Date(this.clock.now().getTime() + this.options.ttlMs).toISOString();
    return this.keys.completeClaim(
      heldKey.principalId,
      heldKey.key,
      heldKey.claimId,
      response,
      expiresAt,
    );
  }

  /** Forgets the claim, so a retry with the key runs the request again. */
  release(heldKey: HeldKey): Promise<boolean> {
    return this.keys.releaseClaim(heldKey.principalId, heldKey.key, heldKey.claimId);
  }

  /** Deletes every expired key; answers how many. */
  async cleanup(): Promise<number> {
    const now = this.clock.now();
    this.lastCleanup = now.getTime();
    return this.keys.deleteExpired(now.toISOString());
  }

  /** Opportunistic clean-up: at most once per interval, in the background. */
  private cleanupNowAndThen(now: Date): void {
    if (now.getTime() - this.lastCleanup < this.options.cleanupIntervalMs) return;
    this.lastCleanup = now.getTime();
    this.keys.deleteExpired(now.toISOString()).catch(this.onCleanupError);
  }

  /** When a stored claim's lease ends (ms): claims from before leases end leaseMs after they began. */
  private leaseEnd(record: IdempotencyRecord): number {
    return record.leaseUntil === null
      ? Date.parse(record.createdAt) + this.options.leaseMs
      : Date.parse(record.leaseUntil);
  }

  private newClaim(
    principalId: string,
    key: string,
    requestHash: string,
    now: Date,
  ): IdempotencyClaim {
    return {
      principalId,
      key,
      requestHash,
      claimId: randomUUID(),
      createdAt: now.toISOString(),
      leaseUntil: new Date(now.getTime() + this.options.leaseMs).toISOString(),
      expiresAt: new Date(now.getTime() + this.options.ttlMs).toISOString(),
    };
  }
}

function held(claim: IdempotencyClaim): HeldKey {
  return { principalId: claim.principalId, key: claim.key, claimId: claim.claimId };
}

function inFlight(key: string): ProblemError {
  return new ProblemError(
    'idempotency-key-in-flight',
    'A request with this Idempotency-Key is still being processed; retry it later',
    { idempotencyKey: key },
    { 'retry-after': '1' },
  );
}

/**
 * The fingerprint of a request: method, path with query, principal, If-Match and the body (JSON
 * with object keys sorted, so the same document in another key order or spacing is the same).
 */
export function requestFingerprint(request: {
  method: string;
  url: string;
  principalId: string;
  ifMatch: string | undefined;
  body: unknown;
}): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        request.method.toUpperCase(),
        request.url,
        request.principalId,
        request.ifMatch ?? null,
        canonicalJson(request.body),
      ]),
    )
    .digest('hex');
}

/** JSON text with object keys in sorted order; undefined becomes null. */
export function canonicalJson(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
