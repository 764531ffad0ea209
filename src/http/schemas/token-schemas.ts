import { Type } from '@sinclair/typebox';
import { SCOPES } from '../../domain/auth/scopes.js';

const ScopeSchema = Type.Union(
  SCOPES.map((scope) => Type.Literal(scope)),
  { description: 'A scope (admin holds every scope; stories:write includes stories:read)' },
);

export const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    scopes: Type.Array(ScopeSchema, { minItems: 1 }),
    repositories: Type.Optional(
      Type.Union([
        Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
          maxItems: 100,
          description: 'Repository globs: acme/shop, acme/*, group/**',
        }),
        Type.Null(),
      ]),
    ),
    expiresAt: Type.Optional(
      Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
        description:
          "No later than the creating credential's own expiry (403); left out, the new token " +
          'expires with its creator',
      }),
    ),
    rateLimit: Type.Optional(
      Type.Union(
        [
          Type.String({ maxLength: 64, description: 'Overrides the default, e.g. 6000/minute' }),
          Type.Null(),
        ],
        {
          description:
            "No higher than the creating credential's own rate limit (403); left out, the new " +
            "token gets its creator's",
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export const TokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  hint: Type.String({ description: 'The first characters of the secret' }),
  scopes: Type.Array(Type.String()),
  repositories: Type.Union([Type.Array(Type.String()), Type.Null()]),
  rateLimit: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  parentId: Type.Union([Type.String(), Type.Null()], {
    description:
      'The token that created this one: revoking it revokes this one too (null: created by ' +
      'STORYFLOW_ADMIN_TOKEN, an OIDC credential or the CLI on the server)',
  }),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});

export const CreatedTokenSchema = Type.Composite([
  TokenSchema,
  Type.Object({ token: Type.String({ description: 'The secret: shown only in this answer' }) }),
]);

export const ListTokensQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    cursor: Type.Optional(Type.String()),
    includeRevoked: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
