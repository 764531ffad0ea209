// Idempotency-Key records over Kysely, shared by the SQLite and PostgreSQL dialects. Every state
// change is one conditional statement, so instances sharing a database never both run a request.
import type { Kysely, Selectable } from 'kysely';
import type { Database, IdempotencyKeysTable } from './database.js';
import type {
  IdempotencyClaim,
  IdempotencyRecord,
  IdempotencyRepository,
  StoredResponse,
} from './idempotency-repository.js';

type IdempotencyRow = Selectable<IdempotencyKeysTable>;

export class KyselyIdempotencyRepository implements IdempotencyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertClaim(claim: IdempotencyClaim): Promise<boolean> {
    const result = await this.db
      .insertInto('idempotency_keys')
      .values({
        ...claimColumns(claim),
        principal_id: claim.principalId,
        idempotency_key: claim.key,
      })
      .onConflict((conflict) => conflict.columns(['principal_id', 'idempotency_key']).doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async findKey(principalId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const row = await this.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('principal_id', '=', principalId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  async replaceClaim(claim: IdempotencyClaim, previousClaimId: string): Promise<boolean> {
    const result = await this.db
      .updateTable('idempotency_keys')
      .set(claimColumns(claim))
      .where('principal_id', '=', claim.principalId)
      .where('idempotency_key', '=', claim.key)
      .where('claim_id', '=', previousClaimId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async renewClaim(
    principalId: string,
    key: string,
    claimId: string,
    leaseUntil: string,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('idempotency_keys')
      .set({ lease_until: leaseUntil })
      .where((eb) => eb.and(heldClaim(principalId, key, claimId)))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async completeClaim(
    principalId: string,
    key: string,
    claimId: string,
    response: StoredResponse,
    expiresAt: string,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('idempotency_keys')
      .set({
        state: 'completed',
        response_status: response.status,
        response_headers: JSON.stringify(response.headers),
        response_body: response.body,
        expires_at: expiresAt,
        lease_until: null,
      })
      .where((eb) => eb.and(heldClaim(principalId, key, claimId)))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async releaseClaim(principalId: string, key: string, claimId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('idempotency_keys')
      .where((eb) => eb.and(heldClaim(principalId, key, claimId)))
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async deleteExpired(now: string): Promise<number> {
    const result = await this.db
      .deleteFrom('idempotency_keys')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** The in-flight claim `claimId` on (principal, key): what renew, complete and release act on. */
function heldClaim(principalId: string, key: string, claimId: string) {
  return {
    principal_id: principalId,
    idempotency_key: key,
    claim_id: claimId,
    state: 'in_flight',
  };
}

function claimColumns(claim: IdempotencyClaim) {
  return {
    request_hash: claim.requestHash,
    state: 'in_flight',
    claim_id: claim.claimId,
    response_status: null,
    response_headers: null,
    response_body: null,
    created_at: claim.createdAt,
    expires_at: claim.expiresAt,
    lease_until: claim.leaseUntil,
  };
}

function fromRow(row: IdempotencyRow): IdempotencyRecord {
  const completed = row.state === 'completed' && row.response_status !== null;
  return {
    principalId: row.principal_id,
    key: row.idempotency_key,
    requestHash: row.request_hash,
    claimId: row.claim_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    leaseUntil: row.lease_until,
    state: completed ? 'completed' : 'in_flight',
    response: completed
      ? {
          status: Number(row.response_status),
          headers: JSON.parse(row.response_headers ?? '{}') as Record<string, string>,
          body: row.response_body ?? '',
        }
      : null,
  };
}
