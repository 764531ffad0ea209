// The audit log (newest 100, filtered by action or story) and verifying its hash chain.
import type { FastifyInstance } from 'fastify';
import { encodeAuditCursor } from '../../services/audit-service.js';
import { auditPage } from './audit-pages.js';
import { consoleAction } from './console-action.js';
import type { ConsoleContext } from './console-context.js';
import { bounded, fieldOf } from './console-request.js';

export function auditRoutes(app: FastifyInstance, context: ConsoleContext): void {
  const { assets, options } = context;
  const route = { config: { auth: 'public' as const }, schema: { hide: true } };

  const auditListing = async (query: unknown) => {
    const action = bounded(fieldOf(query, 'action'), 100);
    const story = bounded(fieldOf(query, 'story'), 200);
    const filters = { ...(action === '' ? {} : { action }), ...(story === '' ? {} : { story }) };
    const head = await options.audit.headSeq();
    const unfiltered = action === '' && story === '';
    const page = await options.audit.list({
      ...filters,
      limit: 100,
      ...(unfiltered && head > 100 ? { cursor: encodeAuditCursor(head - 100) } : {}),
    });
    return { filters, entries: page.items };
  };

  app.get(
    '/audit',
    route,
    consoleAction(context, {
      scope: 'audit:read',
      write: false,
      run: async (request, signed) => {
        const { filters, entries } = await auditListing(request.query);
        return { page: auditPage(assets, signed.viewer, entries, filters, null) };
      },
    }),
  );

  app.post(
    '/audit/verify',
    route,
    consoleAction(context, {
      scope: 'audit:read',
      write: true,
      run: async (_request, signed) => {
        const verification = await options.audit.verify();
        const { filters, entries } = await auditListing({});
        return { page: auditPage(assets, signed.viewer, entries, filters, verification) };
      },
    }),
  );
}
