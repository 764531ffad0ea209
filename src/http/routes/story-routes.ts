// The stories resource: /api/v1/stories and its sub-resources.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { StoryService } from '../../services/story-service.js';
import { auditContextOf } from '../audit-context-of.js';
import { parseIfMatch } from '../if-match.js';
import { problemResponses } from '../schemas/problem-schema.js';
import {
  CreateStoryBody,
  ImportJsonBody,
  ImportResultSchema,
  ListStoriesQuery,
  PatchStoryBody,
  StoryIdParams,
  StoryListSchema,
  StorySchema,
  TransitionBody,
} from '../schemas/story-schemas.js';

export interface StoryRoutesOptions {
  stories: StoryService;
}

const StoryRef = Type.Ref(StorySchema);

export const storyRoutes: FastifyPluginAsyncTypebox<StoryRoutesOptions> = async (
  app,
  { stories },
) => {
  const tags = ['stories'];
  const etag = (record: { version: number }) => `"${record.version}"`;

  app.get(
    '/stories',
    {
      config: { auth: { scope: 'stories:read' } },
      schema: {
        tags,
        summary: 'List stories',
        description:
          'Filters combine with AND. Ordered by id; follow nextCursor for the next page.',
        querystring: ListStoriesQuery,
        response: { 200: StoryListSchema, ...problemResponses(400) },
      },
    },
    async (request) => stories.list(request.query),
  );

  app.post(
    '/stories',
    {
      config: { auth: { scope: 'stories:write' } },
      schema: {
        tags,
        summary: 'Create a story',
        body: CreateStoryBody,
        response: { 201: StoryRef, ...problemResponses(400, 409, 413) },
      },
    },
    async (request, reply) => {
      const record = await stories.create(request.body, auditContextOf(request));
      reply
        .code(201)
        .header('etag', etag(record))
        .header('location', `${request.url.replace(/\/$/, '')}/${record.id}`);
      return stories.toJson(record);
    },
  );

  app.post(
    '/stories/import',
    {
      config: { auth: { scope: 'stories:write' } },
      schema: {
        tags,
        summary: 'Import story documents',
        description:
          'One document as text/markdown, or {"documents": [...]} as JSON. All or nothing: a bad ' +
          'document rejects the import with a 400 naming the document, line and field.',
        body: Type.Union([Type.String(), ImportJsonBody]),
        response: { 200: ImportResultSchema, ...problemResponses(400, 413, 415) },
      },
    },
    async (request) => {
      const body = request.body;
      const documents = typeof body === 'string' ? [body] : body.documents;
      const results = await stories.importDocuments(documents, auditContextOf(request));
      return {
        items: results.map((result) => ({ ...result, created: result.action === 'created' })),
      };
    },
  );

  app.get(
    '/stories/:id.md',
    {
      config: { auth: { scope: 'stories:read' } },
      schema: {
        tags,
        summary: 'Export a story document',
        description: 'The exact bytes of the stored markdown document.',
        params: StoryIdParams,
        produces: ['text/markdown'],
        response: {
          200: Type.String({ description: 'text/markdown; charset=utf-8' }),
          ...problemResponses(404),
        },
      },
    },
    async (request, reply) => {
      const record = await stories.get(request.params.id);
      reply.header('etag', etag(record)).type('text/markdown; charset=utf-8');
      return record.document;
    },
  );

  app.get(
    '/stories/:id',
    {
      config: { auth: { scope: 'stories:read' } },
      schema: {
        tags,
        summary: 'Get a story',
        params: StoryIdParams,
        response: { 200: StoryRef, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const record = await stories.get(request.params.id);
      reply.header('etag', etag(record));
      return stories.toJson(record);
    },
  );

  app.patch(
    '/stories/:id',
    {
      config: { auth: { scope: 'stories:write' } },
      schema: {
        tags,
        summary: 'Change story fields',
        description:
          'Send If-Match: "<version>" (the ETag) to change only that version; a stale one answers 412.',
        params: StoryIdParams,
        body: PatchStoryBody,
        response: { 200: StoryRef, ...problemResponses(400, 404, 409, 412, 413) },
      },
    },
    async (request, reply) => {
      const expected = parseIfMatch(request.headers['if-match']);
      const record = await stories.update(
        request.params.id,
        request.body,
        expected,
        auditContextOf(request),
      );
      reply.header('etag', etag(record));
      return stories.toJson(record);
    },
  );

  app.delete(
    '/stories/:id',
    {
      config: { auth: { scope: 'stories:write' } },
      schema: {
        tags,
        summary: 'Delete a story',
        params: StoryIdParams,
        response: { 204: Type.Null(), ...problemResponses(404, 412) },
      },
    },
    async (request, reply) => {
      await stories.delete(
        request.params.id,
        parseIfMatch(request.headers['if-match']),
        auditContextOf(request),
      );
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/stories/:id/transitions',
    {
      config: { auth: { scope: 'stories:write' } },
      schema: {
        tags,
        summary: 'Move a story to another status',
        description:
          'Validated against the configured workflow: 409 lists the allowed targets. Moving to the ' +
          'current status changes nothing.',
        params: StoryIdParams,
        body: TransitionBody,
        response: { 200: StoryRef, ...problemResponses(400, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const expected = parseIfMatch(request.headers['if-match']);
      const record = await stories.transition(
        request.params.id,
        request.body.to,
        expected,
        auditContextOf(request, request.body.reason),
      );
      reply.header('etag', etag(record));
      return stories.toJson(record);
    },
  );
};
