// /api/v1/repositories: stories as code (docs/git-sync.md). The configured repositories, their
// sync state, and a sync run now; the repository sync service does the work.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { RepositorySyncService } from '../../services/repositories/repository-sync-service.js';
import { problemResponses } from '../schemas/problem-schema.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) =>
  Type.Union([schema, Type.Null()]);

const RepositoryStatusSchema = Type.Object({
  name: Type.String({ description: 'owner/name, as events name it' }),
  branch: Nullable(
    Type.String({ description: "the tracked branch; null: the remote's default branch" }),
  ),
  lastSyncedSha: Nullable(Type.String({ description: 'the commit the stories were synced to' })),
  lastSyncedAt: Nullable(Type.String()),
  pending: Type.Integer({ description: 'pushes recorded and not yet synced' }),
  failing: Type.Integer({ description: 'failed sync attempts in a row (0: the last succeeded)' }),
  lastError: Nullable(Type.String()),
  stories: Type.Integer({ description: 'story files bound to stories' }),
  progress: Type.Union([
    Type.Object({
      phase: Type.Union([
        Type.Literal('fetching'),
        Type.Literal('reading'),
        Type.Literal('importing'),
      ]),
      done: Type.Integer(),
      total: Type.Integer(),
    }),
    Type.Null(),
  ]),
});

const SyncSummarySchema = Type.Object({
  repository: Type.String(),
  branch: Type.String(),
  fromSha: Nullable(
    Type.String({ description: 'the commit diffed from; null: the whole tree was read' }),
  ),
  sha: Type.String({ description: 'the commit synced to' }),
  created: Type.Array(Type.String()),
  updated: Type.Array(Type.String()),
  unchanged: Type.Array(Type.String()),
  renamed: Type.Array(
    Type.Object({ storyId: Type.String(), from: Type.String(), to: Type.String() }),
  ),
  unbound: Type.Array(Type.String(), { description: 'file deleted, story kept (onDelete: keep)' }),
  cancelled: Type.Array(Type.String()),
  deleted: Type.Array(Type.String()),
  conflicts: Type.Array(
    Type.Object({
      storyId: Type.String(),
      paths: Type.Array(Type.String()),
      cause: Type.Optional(
        Type.Union([Type.Literal('bound-elsewhere'), Type.Literal('made-in-storyflow')], {
          description:
            'absent: one id in several files of this repository; bound-elsewhere: the id is ' +
            "bound to another repository's file (boundIn); made-in-storyflow: a story made in " +
            "storyflow whose document is not the file's bytes",
        }),
      ),
      boundIn: Type.Optional(Type.Object({ repository: Type.String(), path: Type.String() })),
    }),
    { description: 'files not imported; each story stays as it was' },
  ),
  errors: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })),
});

const NameParams = Type.Object({
  name: Type.String({
    minLength: 1,
    maxLength: 256,
    description: 'owner/name, URL-encoded (acme%2Fshop)',
  }),
});

export const repositoryRoutes: FastifyPluginAsyncTypebox<{
  repositories: RepositorySyncService;
}> = async (app, { repositories }) => {
  const config = { auth: { scope: 'repositories:admin' as const } };
  const tags = ['repositories'];

  app.get(
    '/repositories',
    {
      config,
      schema: {
        tags,
        summary: 'The configured repositories (repositories:) and their sync state',
        response: { 200: Type.Object({ items: Type.Array(RepositoryStatusSchema) }) },
      },
    },
    async () => ({ items: await repositories.list() }),
  );

  app.get(
    '/repositories/:name',
    {
      config,
      schema: {
        tags,
        summary: "A repository's sync state",
        params: NameParams,
        response: { 200: RepositoryStatusSchema, ...problemResponses(404) },
      },
    },
    async (request) => repositories.status(request.params.name),
  );

  app.post(
    '/repositories/:name/sync',
    {
      config,
      schema: {
        tags,
        summary:
          'Import every story file at the head of the tracked branch (200 with the summary), or ' +
          'with wait=false queue a sync and answer 202 at once',
        params: NameParams,
        querystring: Type.Object(
          { wait: Type.Optional(Type.Boolean({ default: true })) },
          { additionalProperties: false },
        ),
        response: {
          200: SyncSummarySchema,
          202: RepositoryStatusSchema,
          ...problemResponses(400, 404, 409, 502),
        },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      if (request.query.wait === false) {
        reply.code(202);
        return repositories.requestSync(name);
      }
      return repositories.sync(name, { full: true });
    },
  );
};
