// API tokens, for those holding tokens:admin: create (the secret shown once), list, revoke.
import type { FastifyInstance } from 'fastify';
import { SCOPES } from '../../domain/auth/scopes.js';
import { consoleAction } from './console-action.js';
import type { ConsoleContext, Signed } from './console-context.js';
import { fieldOf, formList } from './console-request.js';
import { tokensPage } from './token-pages.js';

type ById = { Params: { id: string } };

export function tokenRoutes(app: FastifyInstance, context: ConsoleContext): void {
  const { assets, options, now } = context;
  const route = { config: { auth: 'public' as const }, schema: { hide: true } };

  const tokensView = async (
    signed: Signed,
    created: { name: string; secret: string } | null,
    problem: string | null,
    status?: number,
  ) => {
    const page = await options.tokens.list(undefined, 200, true);
    return {
      ...(status === undefined ? {} : { status }),
      page: tokensPage(assets, signed.viewer, page.items, SCOPES, created, problem),
    };
  };

  app.get(
    '/tokens',
    route,
    consoleAction(context, {
      scope: 'tokens:admin',
      write: false,
      run: async (_request, signed) => tokensView(signed, null, null),
    }),
  );

  app.post(
    '/tokens',
    route,
    consoleAction(context, {
      scope: 'tokens:admin',
      write: true,
      run: async (request, signed) => {
        const body = (request.body ?? {}) as Record<string, unknown>;
        const name = fieldOf(body, 'name').trim();
        const scopes = formList(body, 'scope');
        const days = fieldOf(body, 'expires');
        if (name.length === 0 || name.length > 200) {
          return tokensView(signed, null, 'A token needs a name of 1 to 200 characters.', 400);
        }
        if (!['', '1', '30', '90'].includes(days)) {
          return tokensView(signed, null, 'Pick an expiry from the list.', 400);
        }
        const created = await options.tokens.create(
          {
            name,
            scopes,
            ...(days === ''
              ? {}
              : { expiresAt: new Date(now() + Number(days) * 86_400_000).toISOString() }),
          },
          signed.principal,
          context.auditContext(request, signed),
        );
        return tokensView(signed, { name: created.name, secret: created.token }, null, 201);
      },
      refused: async (error, _request, signed) =>
        tokensView(signed, null, error.message, error.status),
    }),
  );

  app.post<ById>(
    '/tokens/:id/revoke',
    route,
    consoleAction<ById>(context, {
      scope: 'tokens:admin',
      write: true,
      run: async (request, signed) => {
        await options.tokens.revoke(request.params.id, context.auditContext(request, signed));
        return { redirect: '/tokens' };
      },
      refused: async (error, _request, signed) =>
        tokensView(signed, null, error.message, error.status),
    }),
  );
}
