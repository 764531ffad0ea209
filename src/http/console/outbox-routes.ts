// The outbox page (dead calls first) and its retry: the console's view of GET /api/v1/outbox and
// POST /api/v1/outbox/{id}/retry, under the same scope (deliveries:admin).
import type { FastifyInstance } from 'fastify';
import { OUTBOX_STATUSES, type OutboxStatus } from '../../services/outbox/outbox-service.js';
import { consoleAction } from './console-action.js';
import type { ConsoleContext } from './console-context.js';
import { deadFirst, fieldOf, statusFilter } from './console-request.js';
import { outboxPage } from './outbox-pages.js';

type ById = { Params: { id: string } };

const SHOWN = 100;

export function outboxRoutes(app: FastifyInstance, context: ConsoleContext): void {
  const { assets, options } = context;
  const { outbox } = options;
  const route = { config: { auth: 'public' as const }, schema: { hide: true } };

  app.get(
    '/outbox',
    route,
    consoleAction(context, {
      scope: 'deliveries:admin',
      write: false,
      run: async (request, signed) => {
        const status = statusFilter(request.query, OUTBOX_STATUSES);
        const items = await deadFirst(
          status,
          (only) =>
            outbox.list({
              ...(only === undefined ? {} : { status: only as OutboxStatus }),
              limit: SHOWN,
            }),
          SHOWN,
        );
        const retried = fieldOf(request.query, 'retried');
        return {
          page: outboxPage(
            assets,
            signed.viewer,
            items,
            status,
            OUTBOX_STATUSES,
            outbox.hasForges(),
            items.some((item) => item.id === retried) ? `${retried} is due again.` : null,
            context.now(),
          ),
        };
      },
    }),
  );

  app.post<ById>(
    '/outbox/:id/retry',
    route,
    consoleAction<ById>(context, {
      scope: 'deliveries:admin',
      write: true,
      refusedTitle: 'Retry refused',
      run: async (request) => {
        const retried = await outbox.retry(request.params.id);
        return { redirect: `/outbox?retried=${encodeURIComponent(retried.id)}` };
      },
    }),
  );
}
