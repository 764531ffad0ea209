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
        Type.Array(Type.String({ minLength: 1 }), {
          description: 'Repository globs: acme/shop, acme/*, group/**',
        }),
        Type.Null(),
      ]),
    ),
    expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
    rateLimit: Type.Optional(
      Type.Union([
        Type.String({ description: 'Overrides the default, e.g. 6000/minute' }),
        Type.Null(),
      ]),
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
