// /api/v1/repositories: stories as code (docs/git-sync.md). The configured repositories, their
// sync state, and a sync run now; the repository sync service does the work.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CONFLICT_LIST_LIMIT } from '../../services/repositories/repository-conflict-service.js';
import type { RepositorySyncService } from '../../services/repositories/repository-sync-service.js';
import { auditContextOf } from '../audit-context-of.js';
import { problemResponses } from '../schemas/problem-schema.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) =>
  Type.Union([schema, Type.Null()]);

const RepositoryName = Type.String({
  minLength: 1,
  maxLength: 256,
  description: 'owner/name, URL-encoded (acme%2Fshop)',
});

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
  writeBack: Type.Object(
    {
      mode: Type.Union([Type.Literal('pull-request'), Type.Literal('commit'), Type.Literal('off')]),
      pending: Type.Integer({ description: 'changes made in storyflow not yet written back' }),
      failing: Type.Integer({
        description: 'failed write-back attempts in a row (0: none failed)',
      }),
      lastError: Nullable(
        Type.String({ description: 'why the last attempt failed, or what a change waits for' }),
      ),
      nextAttemptAt: Nullable(Type.String({ description: 'when the next attempt is due' })),
      pullRequest: Type.Union(
        [
          Type.Object({
            state: Type.Union(
              [
                Type.Literal('opening'),
                Type.Literal('updating'),
                Type.Literal('open'),
                Type.Literal('failed'),
                Type.Literal('unavailable'),
              ],
              {
                description:
                  'opening/updating: queued in the outbox, or retried (lastError says why); ' +
                  "open: the forge's answer to the last open or update, at updatedAt; failed: " +
                  'the forge refused (lastError); unavailable: none can be opened (lastError)',
              },
            ),
            number: Type.Union([Type.Integer(), Type.Null()]),
            url: Nullable(Type.String()),
            forge: Nullable(Type.String({ description: 'the forges: entry that opens it' })),
            lastError: Nullable(Type.String()),
            updatedAt: Nullable(Type.String()),
          }),
          Type.Null(),
        ],
        {
          description:
            'pull-request mode: the one pull request from storyflow/updates into the tracked ' +
            'branch; null: none asked for yet, or another mode',
        },
      ),
    },
    { description: 'stories as code, outbound (docs/git-sync.md)' },
  ),
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
  merged: Type.Array(Type.String(), {
    description: 'stories changed in storyflow and in their file since the last sync, merged',
  }),
  mergeConflicts: Type.Array(
    Type.Object({
      id: Type.String(),
      storyId: Type.String(),
      path: Type.String(),
      key: Type.String(),
    }),
    {
      description:
        "keys changed on both sides: the repository's value was kept (GET …/conflicts lists them)",
    },
  ),
});

const JsonValueSchema = Type.Unknown({ description: 'a JSON value; null: that side removed it' });

const ConflictSchema = Type.Object({
  id: Type.String(),
  repository: Type.String(),
  path: Type.String({ description: 'the story file' }),
  storyId: Type.String(),
  key: Type.String({
    description:
      'the frontmatter key, "(body)", or "(document)" when no key-level merge was possible',
  }),
  storyflowValue: JsonValueSchema,
  repositoryValue: JsonValueSchema,
  commit: Type.String({ description: 'the commit whose value was kept' }),
  createdAt: Type.String(),
  acknowledgedAt: Nullable(Type.String()),
  acknowledgedBy: Nullable(Type.String()),
});

const ConflictParams = Type.Object({
  name: RepositoryName,
  id: Type.String({ minLength: 1, maxLength: 64 }),
});

const NameParams = Type.Object({ name: RepositoryName });

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

  app.get(
    '/repositories/:name/conflicts',
    {
      config,
      schema: {
        tags,
        summary:
          'Keys changed both in storyflow and in the repository, where the repository won: the ' +
          'unacknowledged ones, oldest first (all=true: acknowledged ones too)',
        params: NameParams,
        querystring: Type.Object(
          {
            all: Type.Optional(Type.Boolean({ default: false })),
            limit: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: CONFLICT_LIST_LIMIT.max,
                default: CONFLICT_LIST_LIMIT.default,
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(ConflictSchema) }),
          ...problemResponses(400, 404),
        },
      },
    },
    async (request) => ({
      items: await repositories.conflicts.list(request.params.name, request.query),
    }),
  );

  app.post(
    '/repositories/:name/conflicts/:id/ack',
    {
      config,
      schema: {
        tags,
        summary:
          'Acknowledge a conflict: it leaves the list (audited). Acknowledging again answers it ' +
          'as it is',
        params: ConflictParams,
        response: { 200: ConflictSchema, ...problemResponses(404) },
      },
    },
    async (request) =>
      repositories.conflicts.acknowledge(
        request.params.name,
        request.params.id,
        auditContextOf(request),
      ),
  );
};
