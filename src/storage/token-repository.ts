/** A stored API token (never its secret, only the secret's hash). */
export interface TokenRecord {
  id: string;
  name: string;
  secretHash: string;
  /** The first characters of the secret, so people can tell tokens apart (`sfp_AbC1…`). */
  hint: string;
  scopes: string[];
  /** Repository globs the token is limited to; null = any repository. */
  repositories: string[] | null;
  /** Per-token rate limit override, e.g. `6000/minute`. */
  rateLimit: string | null;
  expiresAt: string | null;
  createdAt: string;
  createdBy: string | null;
  /** The stored token that created this one (revoking it revokes this one); null otherwise. */
  parentId: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface TokenRepository {
  /** Inserts a token; false when the id is taken (used to create the bootstrap token once). */
  insertToken(token: TokenRecord): Promise<boolean>;
  findTokenBySecretHash(secretHash: string): Promise<TokenRecord | undefined>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  /** Tokens ordered by creation time, then id. */
  listTokens(options: {
    afterId?: string;
    limit: number;
    includeRevoked: boolean;
  }): Promise<TokenRecord[]>;
  countTokens(): Promise<number>;
  /** Marks a token revoked; false when it does not exist or was already revoked. */
  revokeToken(id: string, revokedAt: string): Promise<boolean>;
  touchToken(id: string, usedAt: string): Promise<void>;
  /** Ids of the tokens `parentId` created that are not revoked. */
  listChildTokenIds(parentId: string): Promise<string[]>;
}
