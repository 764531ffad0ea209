// /api/v1/deliveries: the inbox, seen and replayed by people.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { DeliveryService } from '../../services/delivery-service.js';
import type { ReconcileService } from '../../services/reconcile/reconcile-service.js';
import { auditContextOf } from '../audit-context-of.js';
import { DeliveryListQuery, DeliverySchema } from '../schemas/delivery-schemas.js';
import { problemResponses } from '../schemas/problem-schema.js';

const ReconcileCounts = {
  repositories: Type.Array(Type.String(), {
    description: 'the repositories (GitLab: projects and groups) asked, by path',
  }),
  checked: Type.Integer({ description: 'events the forge delivered or tried to since then' }),
  missing: Type.Integer({ description: 'delivered (2xx) by the forge but not in the inbox' }),
  failed: Type.Integer({ description: 'last attempt failed, not in the inbox' }),
  redelivered: Type.Integer({ description: 'redeliveries (GitLab: resends) the forge accepted' }),
  alreadyReceived: Type.Integer({ description: 'in the inbox: nothing to do' }),
  errors: Type.Array(Type.Object({ repository: Type.String(), message: Type.String() })),
};

const ReconcileSummarySchema = Type.Object({
  since: Type.String({ description: 'where the run started, ISO-8601' }),
  ...ReconcileCounts,
  hooks: Type.Array(Type.String(), {
    description: 'the other GitHub hooks asked: organization <org>, app <id> (a GitHub App’s)',
  }),
  forges: Type.Array(
    Type.Object({
      forge: Type.String({ description: 'the forge entry, `<provider>:<owner or repository>`' }),
      provider: Type.String(),
      ...ReconcileCounts,
    }),
    { description: 'the same counts for each forge entry asked' },
  ),
});

export const deliveryRoutes: FastifyPluginAsyncTypebox<{
  deliveries: DeliveryService;
  reconcile: ReconcileService;
}> = async (app, { deliveries, reconcile }) => {
  const tags = ['deliveries'];
  const config = { auth: { scope: 'deliveries:admin' as const } };
  const Ref = Type.Ref(DeliverySchema);

  app.get(
    '/deliveries',
    {
      config,
      schema: {
        tags,
        summary: 'List deliveries, newest first',
        querystring: DeliveryListQuery,
        response: {
          200: Type.Object({
            items: Type.Array(Ref),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...problemResponses(400),
        },
      },
    },
    async (request) => {
      const { cursor, limit = 50, ...filters } = request.query;
      return deliveries.list(filters, limit, cursor);
    },
  );

  app.get(
    '/deliveries/:id',
    {
      config,
      schema: {
        tags,
        summary: 'A delivery: status, attempts, last error and the normalized events',
        params: Type.Object({ id: Type.String() }),
        response: { 200: Ref, ...problemResponses(404) },
      },
    },
    async (request) => {
      return deliveries.get(request.params.id);
    },
  );

  app.post(
    '/deliveries/:id/replay',
    {
      config,
      schema: {
        tags,
        summary: 'Process a delivery again',
        description:
          'Queues the stored delivery to be processed again. Its effects are keyed by delivery, ' +
          'so nothing it already applied is applied twice.',
        params: Type.Object({ id: Type.String() }),
        response: { 202: Ref, ...problemResponses(404, 409) },
      },
    },
    async (request, reply) => {
      const replayed = await deliveries.replay(request.params.id, auditContextOf(request));
      return reply.code(202).send(replayed);
    },
  );

  app.post(
    '/deliveries/reconcile',
    {
      config,
      schema: {
        tags,
        summary: 'Ask GitHub again for the webhook deliveries storyflow missed',
        description:
          "Lists the deliveries of the repositories' webhooks that post to storyflow since " +
          '`since` and has GitHub redeliver every one whose delivery id is not in the inbox ' +
          '(docs/forge-feedback.md, "Missed deliveries"). Audited as `deliveries.reconciled`.',
        body: Type.Object(
          {
            since: Type.String({
              minLength: 1,
              maxLength: 64,
              description: 'a duration back from now (30m, 24h, 3d) or an ISO-8601 time; ≤ 3 days',
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: ReconcileSummarySchema, ...problemResponses(400, 409) },
      },
    },
    async (request) => reconcile.reconcile(request.body.since, auditContextOf(request)),
  );
};
