// POST /api/v1/stories/{id}/links: link branches, PRs, commits, pipelines or deployments to a
// story by hand or from a pipeline step (`storyflow ci link`).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { principalCoversRepository } from '../../domain/auth/principal.js';
import type { Clock } from '../../domain/clock.js';
import { LINK_TYPES } from '../../domain/links/link-type.js';
import { ProblemError } from '../../errors/problem-error.js';
import { storyNotFound } from '../../services/story-problems.js';
import type { StoryService } from '../../services/story-service.js';
import type { Store } from '../../storage/store.js';
import { auditContextOf } from '../audit-context-of.js';
import { problemResponses } from '../schemas/problem-schema.js';
import { StoryIdParams } from '../schemas/story-schemas.js';

const Nullable = (description: string) =>
  Type.Optional(Type.Union([Type.String(), Type.Null()], { description }));

const NewLink = Type.Object(
  {
    type: Type.Union(LINK_TYPES.map((type) => Type.Literal(type))),
    repository: Type.String({ pattern: '^[^/\\s]+(/[^/\\s]+)+$' }),
    key: Type.String({
      minLength: 1,
      description: 'Branch name, commit sha, PR number, pipeline branch, environment',
    }),
    state: Nullable('open, merged, success, failed, …'),
    url: Nullable('web page'),
    title: Nullable('PR title, commit subject, pipeline name'),
    sha: Nullable('commit'),
    environment: Nullable('deployment environment'),
  },
  { additionalProperties: false },
);

export const linkRoutes: FastifyPluginAsyncTypebox<{
  store: Store;
  stories: StoryService;
  clock: Clock;
}> = async (app, { store, clock }) => {
  app.post(
    '/stories/:id/links',
    {
      config: { auth: { scope: 'stories:write' } },
      schema: {
        tags: ['stories'],
        summary: 'Link branches, PRs, commits, pipelines or deployments to a story',
        description:
          'Creates or updates each link (same type, repository and key): the latest state wins.',
        params: StoryIdParams,
        body: Type.Object(
          { links: Type.Array(NewLink, { minItems: 1, maxItems: 100 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ linked: Type.Integer() }),
          ...problemResponses(400, 403, 404),
        },
      },
    },
    async (request) => {
      const principal = request.principal;
      for (const link of request.body.links) {
        if (principal !== undefined && !principalCoversRepository(principal, link.repository)) {
          throw new ProblemError('forbidden', `This credential may not link ${link.repository}`);
        }
      }
      const context = auditContextOf(request);
      const now = clock.now().toISOString();
      await store.transaction(async (tx) => {
        // Through `tx`: on SQLite the transaction holds the one connection, so a read on the
        // store itself would wait for it forever (and every later request behind it).
        if ((await tx.stories.getStory(request.params.id)) === undefined) {
          throw storyNotFound(request.params.id);
        }
        await tx.links.upsertLinks(
          request.body.links.map((link) => ({
            story: request.params.id,
            type: link.type,
            repository: link.repository,
            key: link.key,
            state: link.state ?? null,
            url: link.url ?? null,
            title: link.title ?? null,
            sha: link.sha ?? null,
            environment: link.environment ?? null,
            createdAt: now,
            updatedAt: now,
          })),
        );
        await tx.audit.append([
          {
            occurredAt: now,
            actor: context.actor,
            action: 'story.linked',
            targetType: 'story',
            targetId: request.params.id,
            before: null,
            after: request.body.links.map((link) => ({
              type: link.type,
              repository: link.repository,
              key: link.key,
            })),
            requestId: context.requestId,
            operationId: null,
            deliveryId: null,
            batchId: null,
            reason: null,
          },
        ]);
      });
      return { linked: request.body.links.length };
    },
  );
};
