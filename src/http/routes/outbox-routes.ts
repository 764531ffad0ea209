// /api/v1/outbox: the calls storyflow queued for forges (comments, commit statuses), seen and
// retried by people; the outbox service does the work.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { OUTBOX_STATUSES, type OutboxService } from '../../services/outbox/outbox-service.js';
import { problemResponses } from '../schemas/problem-schema.js';

const OutboxItemSchema = Type.Object({
  id: Type.String(),
  forge: Type.String({ description: '<provider>:<owner or repository> of the forges: entry' }),
  kind: Type.String({ description: 'comment, status or check' }),
  target: Type.String({ description: 'what the call is about: owner/repo#12, owner/repo@sha' }),
  status: Type.Union(OUTBOX_STATUSES.map((status) => Type.Literal(status))),
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Type.String(),
  updatedAt: Type.String(),
  sentAt: Type.Union([Type.String(), Type.Null()]),
});

export const outboxRoutes: FastifyPluginAsyncTypebox<{ outbox: OutboxService }> = async (
  app,
  { outbox },
) => {
  const config = { auth: { scope: 'deliveries:admin' as const } };
  const tags = ['deliveries'];

  app.get(
    '/outbox',
    {
      config,
      schema: {
        tags,
        summary: 'List the calls queued for forges, most recently changed first',
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Union(OUTBOX_STATUSES.map((s) => Type.Literal(s)))),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(OutboxItemSchema) }),
          ...problemResponses(400),
        },
      },
    },
    async (request) => {
      const { status, limit = 100 } = request.query;
      return { items: await outbox.list({ ...(status === undefined ? {} : { status }), limit }) };
    },
  );

  app.post(
    '/outbox/:id/retry',
    {
      config,
      schema: {
        tags,
        summary: 'Send a queued call again now (a dead one too), with its attempts reset',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }),
        response: { 200: OutboxItemSchema, ...problemResponses(404) },
      },
    },
    async (request) => outbox.retry(request.params.id),
  );
};
