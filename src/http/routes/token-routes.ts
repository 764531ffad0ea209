// /api/v1/tokens: create (secret shown once), list, revoke.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { TokenService } from '../../services/token-service.js';
import { auditContextOf } from '../audit-context-of.js';
import { problemResponses } from '../schemas/problem-schema.js';
import {
  CreatedTokenSchema,
  CreateTokenBody,
  ListTokensQuery,
  TokenSchema,
} from '../schemas/token-schemas.js';

export const tokenRoutes: FastifyPluginAsyncTypebox<{ tokens: TokenService }> = async (
  app,
  { tokens },
) => {
  const tags = ['tokens'];
  const config = { auth: { scope: 'tokens:admin' as const } };

  app.post(
    '/tokens',
    {
      // An Idempotency-Key replay repeats the answer without the secret (never stored).
      config: { ...config, idempotency: { redact: ['token'] } },
      schema: {
        tags,
        summary: 'Create an API token',
        description:
          'The answer holds the secret (`token`); it is not stored and never shown again.',
        body: CreateTokenBody,
        response: { 201: CreatedTokenSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const created = await tokens.create(
        request.body,
        request.principal ?? null,
        auditContextOf(request),
      );
      reply.code(201).header('location', `/api/v1/tokens/${created.id}`);
      return created;
    },
  );

  app.get(
    '/tokens',
    {
      config,
      schema: {
        tags,
        summary: 'List API tokens (never their secrets)',
        querystring: ListTokensQuery,
        response: {
          200: Type.Object({
            items: Type.Array(TokenSchema),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...problemResponses(401, 403),
        },
      },
    },
    async (request) =>
      tokens.list(
        request.query.cursor,
        request.query.limit ?? 100,
        request.query.includeRevoked ?? false,
      ),
  );

  app.delete(
    '/tokens/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Revoke an API token',
        description: 'The token stops working at once; it stays listed with revokedAt.',
        params: Type.Object({ id: Type.String() }),
        response: { 204: Type.Null(), ...problemResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await tokens.revoke(request.params.id, auditContextOf(request));
      return reply.code(204).send(null);
    },
  );
};
