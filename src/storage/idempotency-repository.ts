// Idempotency keys: the first answer to a request sent with an Idempotency-Key, kept per
// principal so a retry of the same request is answered without running it again.

export type IdempotencyState = 'in_flight' | 'completed';

/** The part of a response that a replay answers with. */
export interface StoredResponse {
  status: number;
  /** A subset of the response headers (content-type, etag, location), lower-case names. */
  headers: Record<string, string>;
  body: string;
}

/** A new claim on a key: the request holding it runs; others with the key wait or replay. */
export interface IdempotencyClaim {
  principalId: string;
  key: string;
  /** SHA-256 over the request (method, path, body, principal); a different one is misuse. */
  requestHash: string;
  /** Random id of this claim, so only its holder completes or releases it. */
  claimId: string;
  /** ISO-8601: when the claim was taken. */
  createdAt: string;
  /**
   * ISO-8601: until when the claim is held; its request renews it while it runs, so a claim
   * whose lease has run out belongs to a process that died and may be taken over.
   */
  leaseUntil: string;
  /** ISO-8601: when the key may be forgotten. */
  expiresAt: string;
}

export interface IdempotencyRecord extends Omit<IdempotencyClaim, 'leaseUntil'> {
  /** Null for a claim stored before leases were kept (it ends a timeout after createdAt). */
  leaseUntil: string | null;
  state: IdempotencyState;
  /** Set once completed. */
  response: StoredResponse | null;
}

export interface IdempotencyRepository {
  /**
   * Stores an in-flight claim unless the (principal, key) pair is already stored (INSERT … ON
   * CONFLICT DO NOTHING); true when this call took the key.
   */
  insertClaim(claim: IdempotencyClaim): Promise<boolean>;
  findKey(principalId: string, key: string): Promise<IdempotencyRecord | undefined>;
  /**
   * Replaces a stored key (an abandoned in-flight claim, or an expired record) with a new claim,
   * only while it still carries `previousClaimId`: of several instances trying at once, one wins.
   */
  replaceClaim(claim: IdempotencyClaim, previousClaimId: string): Promise<boolean>;
  /** Extends an in-flight claim's lease; false when the claim is no longer this one's. */
  renewClaim(
    principalId: string,
    key: string,
    claimId: string,
    leaseUntil: string,
  ): Promise<boolean>;
  /** Stores the response of a claim; false when the claim is no longer this one's. */
  completeClaim(
    principalId: string,
    key: string,
    claimId: string,
    response: StoredResponse,
    expiresAt: string,
  ): Promise<boolean>;
  /** Forgets a claim (the request failed with a 5xx or crashed), so a retry may run. */
  releaseClaim(principalId: string, key: string, claimId: string): Promise<boolean>;
  /** Deletes every key whose expiresAt <= now; answers how many. */
  deleteExpired(now: string): Promise<number>;
}
