// Recent deliveries (dead letters first), a delivery's page, and its replay.
import type { FastifyInstance } from 'fastify';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../services/delivery-service.js';
import { consoleAction } from './console-action.js';
import type { ConsoleContext } from './console-context.js';
import { messagePage } from './console-pages.js';
import { deadFirst, fieldOf, statusFilter } from './console-request.js';
import { deliveriesPage, deliveryPage } from './delivery-pages.js';

type ById = { Params: { id: string } };

export function deliveryRoutes(app: FastifyInstance, context: ConsoleContext): void {
  const { assets, options } = context;
  const { deliveries } = options;
  const route = { config: { auth: 'public' as const }, schema: { hide: true } };

  app.get(
    '/deliveries',
    route,
    consoleAction(context, {
      scope: 'deliveries:admin',
      write: false,
      run: async (request, signed) => {
        const status = statusFilter(request.query, DELIVERY_STATUSES);
        const items = await deadFirst(
          status,
          async (only) =>
            (
              await deliveries.list(
                only === undefined ? {} : { status: only as DeliveryStatus },
                100,
              )
            ).items,
          100,
        );
        return {
          page: deliveriesPage(
            assets,
            signed.viewer,
            items,
            status,
            DELIVERY_STATUSES,
            context.now(),
          ),
        };
      },
    }),
  );

  app.get<ById>(
    '/deliveries/:id',
    route,
    consoleAction<ById>(context, {
      scope: 'deliveries:admin',
      write: false,
      run: async (request, signed) => {
        const delivery = await deliveries.detail(request.params.id);
        const operations = await options.operations.list({ delivery: delivery.id }, 50);
        const notice = fieldOf(request.query, 'replayed') === '1' ? 'Queued for replay.' : null;
        return {
          page: deliveryPage(assets, signed.viewer, delivery, operations.items, notice),
        };
      },
      refused: async (_error, request, signed) => ({
        status: 404,
        page: messagePage(assets, signed.viewer, 'Not found', `No delivery ${request.params.id}.`),
      }),
    }),
  );

  app.post<ById>(
    '/deliveries/:id/replay',
    route,
    consoleAction<ById>(context, {
      scope: 'deliveries:admin',
      write: true,
      refusedTitle: 'Replay refused',
      run: async (request, signed) => {
        await deliveries.replay(request.params.id, context.auditContext(request, signed));
        return { redirect: `/deliveries/${encodeURIComponent(request.params.id)}?replayed=1` };
      },
    }),
  );
}
