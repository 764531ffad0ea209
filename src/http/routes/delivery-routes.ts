// /api/v1/deliveries: the inbox, seen and replayed by people.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { DeliveryService } from '../../services/delivery-service.js';
import { auditContextOf } from '../audit-context-of.js';
import { DeliveryListQuery, DeliverySchema } from '../schemas/delivery-schemas.js';
import { problemResponses } from '../schemas/problem-schema.js';

export const deliveryRoutes: FastifyPluginAsyncTypebox<{
  deliveries: DeliveryService;
}> = async (app, { deliveries }) => {
  const tags = ['deliveries'];
  const config = { auth: { scope: 'deliveries:admin' as const } };
  const Ref = Type.Ref(DeliverySchema);

  app.get(
    '/deliveries',
    {
      config,
      schema: {
        tags,
        summary: 'List deliveries, newest first',
        querystring: DeliveryListQuery,
        response: {
          200: Type.Object({
            items: Type.Array(Ref),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...problemResponses(400),
        },
      },
    },
    async (request) => {
      const { cursor, limit = 50, ...filters } = request.query;
      return deliveries.list(filters, limit, cursor);
    },
  );

  app.get(
    '/deliveries/:id',
    {
      config,
      schema: {
        tags,
        summary: 'A delivery: status, attempts, last error and the normalized events',
        params: Type.Object({ id: Type.String() }),
        response: { 200: Ref, ...problemResponses(404) },
      },
    },
    async (request) => {
      return deliveries.get(request.params.id);
    },
  );

  app.post(
    '/deliveries/:id/replay',
    {
      config,
      schema: {
        tags,
        summary: 'Process a delivery again',
        description:
          'Queues the stored delivery to be processed again. Its effects are keyed by delivery, ' +
          'so nothing it already applied is applied twice.',
        params: Type.Object({ id: Type.String() }),
        response: { 202: Ref, ...problemResponses(404, 409) },
      },
    },
    async (request, reply) => {
      const replayed = await deliveries.replay(request.params.id, auditContextOf(request));
      return reply.code(202).send(replayed);
    },
  );
};
