// /api/v1/deliveries: the inbox, seen and replayed by people.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Clock } from '../../domain/clock.js';
import { ProblemError } from '../../errors/problem-error.js';
import * as listCursor from '../../services/list-cursor.js';
import { readStringPair } from '../../services/list-cursor.js';
import type { DeliveryRecord } from '../../storage/delivery-repository.js';
import type { Store } from '../../storage/store.js';
import { auditContextOf } from '../audit-context-of.js';
import { DeliveryListQuery, DeliverySchema } from '../schemas/delivery-schemas.js';
import { problemResponses } from '../schemas/problem-schema.js';

export function deliveryView(delivery: DeliveryRecord) {
  return {
    id: delivery.id,
    provider: delivery.provider,
    event: delivery.event,
    deliveryId: delivery.deliveryId,
    repository: delivery.repository,
    status: delivery.status,
    attempts: delivery.attempts,
    lastError: delivery.lastError,
    receivedAt: delivery.receivedAt,
    processedAt: delivery.processedAt,
    nextAttemptAt: delivery.nextAttemptAt,
    events: delivery.events ?? [],
  };
}

function encodeCursor(delivery: DeliveryRecord): string {
  return listCursor.encodeCursor([delivery.receivedAt, delivery.id]);
}

function decodeCursor(cursor: string): { receivedAt: string; id: string } {
  const [receivedAt, id] = listCursor.decodeCursor(cursor, readStringPair);
  return { receivedAt, id };
}

export const deliveryRoutes: FastifyPluginAsyncTypebox<{
  store: Store;
  clock: Clock;
  wake: () => void;
}> = async (app, { store, clock, wake }) => {
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
      const rows = await store.deliveries.listDeliveries({
        ...filters,
        ...(cursor === undefined ? {} : { before: decodeCursor(cursor) }),
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(deliveryView),
        nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last) : null,
      };
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
      const delivery = await store.deliveries.getDelivery(request.params.id);
      if (delivery === undefined)
        throw new ProblemError('not-found', `No delivery ${request.params.id}`);
      return deliveryView(delivery);
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
      const context = auditContextOf(request);
      const replayed = await store.transaction(async (tx) => {
        const delivery = await tx.deliveries.getDelivery(request.params.id);
        if (delivery === undefined)
          throw new ProblemError('not-found', `No delivery ${request.params.id}`);
        const now = clock.now().toISOString();
        if (!(await tx.deliveries.requeueDelivery(delivery.id, now))) {
          throw new ProblemError(
            'conflict',
            `Delivery ${delivery.id} is being processed right now; retry shortly`,
          );
        }
        await tx.audit.append([
          {
            occurredAt: now,
            actor: context.actor,
            action: 'delivery.replayed',
            targetType: 'delivery',
            targetId: delivery.id,
            before: { status: delivery.status },
            after: { status: 'pending' },
            requestId: context.requestId,
            operationId: null,
            deliveryId: delivery.id,
            batchId: null,
            reason: null,
          },
        ]);
        return (await tx.deliveries.getDelivery(delivery.id))!;
      });
      wake();
      return reply.code(202).send(deliveryView(replayed));
    },
  );
};
