// /api/v1/audit, /api/v1/audit/verify and a story's history.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AuditService } from '../../services/audit-service.js';
import type { StoryService } from '../../services/story-service.js';
import {
  AuditPageSchema,
  AuditQuerySchema,
  AuditVerificationSchema,
} from '../schemas/audit-schemas.js';
import { problemResponses } from '../schemas/problem-schema.js';
import { StoryIdParams } from '../schemas/story-schemas.js';

export const auditRoutes: FastifyPluginAsyncTypebox<{
  audit: AuditService;
  stories: StoryService;
}> = async (app, { audit, stories }) => {
  app.get(
    '/audit',
    {
      config: { auth: { scope: 'audit:read' } },
      schema: {
        tags: ['audit'],
        summary: 'Read the audit log',
        description: 'Every change, by hand or automated, in order. Filters combine with AND.',
        querystring: AuditQuerySchema,
        response: { 200: AuditPageSchema, ...problemResponses(400) },
      },
    },
    async (request) => {
      const { operation, delivery, batch, ...query } = request.query;
      return audit.list({
        ...query,
        ...(operation === undefined ? {} : { operationId: operation }),
        ...(delivery === undefined ? {} : { deliveryId: delivery }),
        ...(batch === undefined ? {} : { batchId: batch }),
      });
    },
  );

  app.get(
    '/audit/verify',
    {
      config: { auth: { scope: 'audit:read' } },
      schema: {
        tags: ['audit'],
        summary: 'Verify the audit log hash chain',
        description: 'Recomputes every entry hash and names the first entry that does not fit.',
        response: { 200: AuditVerificationSchema },
      },
    },
    async () => audit.verify(),
  );

  app.get(
    '/stories/:id/history',
    {
      config: { auth: { scope: 'stories:read' } },
      schema: {
        tags: ['stories'],
        summary: "A story's history",
        description: 'The audit entries about this story, oldest first (also after deletion).',
        params: StoryIdParams,
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
        response: { 200: AuditPageSchema, ...problemResponses(404) },
      },
    },
    async (request) => {
      const page = await audit.list({ story: request.params.id, ...request.query });
      if (page.items.length === 0 && request.query.cursor === undefined) {
        await stories.get(request.params.id); // 404 for a story that never existed
      }
      return page;
    },
  );
};
