// Operations, links, rules and simulation under /api/v1.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { type AuditContext, actorOf } from '../../domain/audit/audit-context.js';
import {
  type OperationService,
  operationView,
} from '../../services/automation/operation-service.js';
import type { RuleService } from '../../services/automation/rule-service.js';
import { simulationEvents } from '../../services/automation/simulation-events.js';
import type { LinkService } from '../../services/link-service.js';
import type { StoryService } from '../../services/story-service.js';
import { auditContextOf } from '../audit-context-of.js';
import { parseIfMatch } from '../if-match.js';
import { LinkSchema, OperationSchema, SimulateBody } from '../schemas/automation-schemas.js';
import { problemResponses } from '../schemas/problem-schema.js';
import { StoryIdParams } from '../schemas/story-schemas.js';

export interface AutomationRoutesOptions {
  stories: StoryService;
  operations: OperationService;
  rules: RuleService;
  links: LinkService;
}

const OperationRef = Type.Ref(OperationSchema);

export const automationRoutes: FastifyPluginAsyncTypebox<AutomationRoutesOptions> = async (
  app,
  options,
) => {
  const { stories, operations, rules, links } = options;

  app.get(
    '/operations',
    {
      config: { auth: { scope: 'stories:read' } },
      schema: {
        tags: ['automation'],
        summary: 'List operations, newest first',
        querystring: Type.Object(
          {
            story: Type.Optional(Type.String()),
            delivery: Type.Optional(Type.String()),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(OperationRef),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...problemResponses(400),
        },
      },
    },
    async (request) => {
      const { cursor, limit = 50, story, delivery } = request.query;
      const page = await operations.list({ story, delivery }, limit, cursor);
      return {
        items: page.items.map((operation) => operationView(operation)),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get(
    '/operations/:id',
    {
      config: { auth: { scope: 'stories:read' } },
      schema: {
        tags: ['automation'],
        summary: 'An operation: what changed, which rule, which reference',
        params: Type.Object({ id: Type.String() }),
        response: { 200: OperationRef, ...problemResponses(404) },
      },
    },
    async (request) => operationView(await operations.get(request.params.id)),
  );

  app.post(
    '/operations/:id/rollback',
    {
      config: { auth: { scope: 'stories:write' } },
      schema: {
        tags: ['automation'],
        summary: 'Roll an operation back',
        description:
          'Restores every field it changed, unless the field changed again since: then 409 lists ' +
          'each conflict; ?force=true overrides. The rollback is itself an operation.',
        params: Type.Object({ id: Type.String() }),
        querystring: Type.Object(
          { force: Type.Optional(Type.Boolean({ default: false })) },
          { additionalProperties: false },
        ),
        response: { 200: OperationRef, ...problemResponses(404, 409) },
      },
    },
    async (request) =>
      operationView(
        await operations.rollback(
          request.params.id,
          request.query.force ?? false,
          auditContextOf(request),
        ),
      ),
  );

  app.get(
    '/stories/:id/links',
    {
      config: { auth: { scope: 'stories:read' } },
      schema: {
        tags: ['stories'],
        summary: 'Branches, commits, PRs, pipelines and deployments linked to a story',
        params: StoryIdParams,
        response: { 200: Type.Object({ items: Type.Array(LinkSchema) }), ...problemResponses(404) },
      },
    },
    async (request) => {
      await stories.get(request.params.id);
      const stored = await links.list(request.params.id);
      return { items: stored.map(({ story: _story, ...link }) => link) };
    },
  );

  app.get(
    '/rules',
    {
      config: { auth: { scope: 'stories:read' } },
      schema: {
        tags: ['automation'],
        summary: 'The rules in force',
        description:
          'defaults (unless turned off), then the config file rules, then the rules set through PUT.',
        response: {
          200: Type.Object({
            rules: Type.Array(Type.Unknown(), { description: 'The rules set through PUT /rules' }),
            version: Type.Integer(),
            effective: Type.Array(Type.Unknown(), {
              description: 'Every rule, in evaluation order',
            }),
          }),
        },
      },
    },
    async (_request, reply) => {
      const view = await rules.current();
      reply.header('etag', `"${view.version}"`);
      return view;
    },
  );

  app.put(
    '/rules',
    {
      config: { auth: { scope: 'admin' } },
      schema: {
        tags: ['automation'],
        summary: 'Replace the rules managed through the API',
        description:
          'Validated as a whole; a bad rule is a 400 naming the rule and the key. Send If-Match: "<version>" to guard against concurrent edits.',
        body: Type.Object({ rules: Type.Array(Type.Unknown()) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ rules: Type.Array(Type.Unknown()), version: Type.Integer() }),
          ...problemResponses(400, 412),
        },
      },
    },
    async (request, reply) => {
      const ifMatch = request.headers['if-match'];
      const stored = await rules.replace(
        request.body.rules,
        parseIfMatch(typeof ifMatch === 'string' ? ifMatch : undefined),
        auditContextOf(request),
      );
      reply.header('etag', `"${stored.version}"`);
      return { rules: stored.rules, version: stored.version };
    },
  );

  app.post(
    '/rules/simulate',
    {
      config: { auth: { scope: 'stories:read' } },
      schema: {
        tags: ['automation'],
        summary: 'What an event would do, changing nothing',
        description:
          'A provider payload with its event name ({"provider": "github", "event": "pull_request", ' +
          '"payload": {…}}), or normalized events ({"events": [...]}). Answers the operations that ' +
          'would be applied now.',
        body: SimulateBody,
        response: {
          200: Type.Object({
            operations: Type.Array(OperationRef),
            events: Type.Array(Type.Unknown(), { description: 'The normalized events simulated' }),
            ignored: Type.Optional(
              Type.String({ description: 'Why the payload produced no event' }),
            ),
          }),
          ...problemResponses(400),
        },
      },
    },
    async (request) => {
      const { events, ignored } = simulationEvents(request.body);
      const context: AuditContext = { actor: actorOf(request.principal), requestId: request.id };
      const simulated = await operations.simulate(events, context);
      return {
        operations: simulated.map((operation) => operationView(operation, 'simulated')),
        events,
        ...(ignored === undefined ? {} : { ignored }),
      };
    },
  );
};
