// POST /api/v1/stories/{id}/links: link branches, PRs, commits, pipelines or deployments to a
// story by hand or from a pipeline step (`storyflow ci link`). The link service does the work,
// as it does for the batch `link` operation.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { LinkService } from '../../services/link-service.js';
import { auditContextOf } from '../audit-context-of.js';
import { NewLink } from '../schemas/link-schemas.js';
import { problemResponses } from '../schemas/problem-schema.js';
import { StoryIdParams } from '../schemas/story-schemas.js';

export const linkRoutes: FastifyPluginAsyncTypebox<{ links: LinkService }> = async (
  app,
  { links },
) => {
  app.post(
    '/stories/:id/links',
    {
      config: { auth: { scope: 'stories:write' } },
      schema: {
        tags: ['stories'],
        summary: 'Link branches, PRs, commits, pipelines or deployments to a story',
        description:
          'Creates or updates each link (same type, repository and key): the latest state wins. ' +
          'A token limited to repositories may only link those (403 otherwise).',
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
      const linked = await links.link(
        request.principal,
        request.params.id,
        request.body.links,
        auditContextOf(request),
      );
      return { linked: linked.length };
    },
  );
};
