// API token queries, shared by both dialects.
import type { Kysely, Selectable } from 'kysely';
import type { ApiTokensTable, Database } from './database.js';
import type { TokenRecord, TokenRepository } from './token-repository.js';

export class KyselyTokenRepository implements TokenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertToken(token: TokenRecord): Promise<boolean> {
    const result = await this.db
      .insertInto('api_tokens')
      .values(toRow(token))
      .onConflict((conflict) => conflict.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async findTokenBySecretHash(secretHash: string): Promise<TokenRecord | undefined> {
    const row = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('secret_hash', '=', secretHash)
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const row = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  async listTokens(options: {
    afterId?: string;
    limit: number;
    includeRevoked: boolean;
  }): Promise<TokenRecord[]> {
    let query = this.db.selectFrom('api_tokens').selectAll().orderBy('id').limit(options.limit);
    if (options.afterId !== undefined) query = query.where('id', '>', options.afterId);
    if (!options.includeRevoked) query = query.where('revoked_at', 'is', null);
    return (await query.execute()).map(fromRow);
  }

  async countTokens(): Promise<number> {
    const row = await this.db
      .selectFrom('api_tokens')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async revokeToken(id: string, revokedAt: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: revokedAt })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async listChildTokenIds(parentId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('api_tokens')
      .select('id')
      .where('parent_token_id', '=', parentId)
      .where('revoked_at', 'is', null)
      .orderBy('id')
      .execute();
    return rows.map((row) => row.id);
  }

  async touchToken(id: string, usedAt: string): Promise<void> {
    await this.db
      .updateTable('api_tokens')
      .set({ last_used_at: usedAt })
      .where('id', '=', id)
      .execute();
  }
}

function toRow(token: TokenRecord): Selectable<ApiTokensTable> {
  return {
    id: token.id,
    name: token.name,
    secret_hash: token.secretHash,
    hint: token.hint,
    scopes: JSON.stringify(token.scopes),
    repositories: token.repositories === null ? null : JSON.stringify(token.repositories),
    rate_limit: token.rateLimit,
    expires_at: token.expiresAt,
    created_at: token.createdAt,
    created_by: token.createdBy,
    parent_token_id: token.parentId,
    last_used_at: token.lastUsedAt,
    revoked_at: token.revokedAt,
  };
}

function fromRow(row: Selectable<ApiTokensTable>): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    hint: row.hint,
    scopes: JSON.parse(row.scopes) as string[],
    repositories: row.repositories === null ? null : (JSON.parse(row.repositories) as string[]),
    rateLimit: row.rate_limit,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    createdBy: row.created_by,
    parentId: row.parent_token_id,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
