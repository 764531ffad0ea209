// The repositories page and its "Sync now": the console's view of GET /api/v1/repositories and
// POST /api/v1/repositories/{name}/sync?wait=false, under the same scope (repositories:admin).
import type { FastifyInstance } from 'fastify';
import { consoleAction } from './console-action.js';
import type { ConsoleContext } from './console-context.js';
import { fieldOf } from './console-request.js';
import { repositoriesPage } from './repository-pages.js';

type ByName = { Params: { name: string } };

export function repositoryRoutes(app: FastifyInstance, context: ConsoleContext): void {
  const { assets, options } = context;
  const { repositories } = options;
  const route = { config: { auth: 'public' as const }, schema: { hide: true } };

  app.get(
    '/repositories',
    route,
    consoleAction(context, {
      scope: 'repositories:admin',
      write: false,
      run: async (request, signed) => {
        const all = await repositories.list();
        const queued = fieldOf(request.query, 'queued');
        return {
          page: repositoriesPage(
            assets,
            signed.viewer,
            all,
            all.some((repository) => repository.name === queued)
              ? `A sync of ${queued} is queued.`
              : null,
            context.now(),
          ),
        };
      },
    }),
  );

  app.post<ByName>(
    '/repositories/:name/sync',
    route,
    consoleAction<ByName>(context, {
      scope: 'repositories:admin',
      write: true,
      refusedTitle: 'Sync refused',
      run: async (request) => {
        // Queued for the sync runner, as a push is: a big repository takes a while.
        const status = await repositories.requestSync(request.params.name);
        return { redirect: `/repositories?queued=${encodeURIComponent(status.name)}` };
      },
    }),
  );
}
