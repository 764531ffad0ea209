// Builds the Fastify application: content types, problem errors, OpenAPI, and every route.
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { decodeUtf8Exactly, InvalidUtf8Error } from '../domain/bytes/utf8.js';
import type { Clock } from '../domain/clock.js';
import type { IdGenerator } from '../domain/ids.js';
import { ProblemError } from '../errors/problem-error.js';
import type { ProviderTable } from '../providers/index.js';
import type { StoryServices } from '../services/compose-services.js';
import type { DeliveryService } from '../services/delivery-service.js';
import type { DeploymentGateService } from '../services/deployment-gate-service.js';
import type { IdempotencyService } from '../services/idempotency-service.js';
import type { CiEventService } from '../services/inbox/ci-event-service.js';
import type { DeliveryInbox } from '../services/inbox/delivery-inbox.js';
import type { WebhookRefusals } from '../services/inbox/webhook-refusals.js';
import type { OidcVerifier } from '../services/oidc/oidc-verifier.js';
import type { OutboxService } from '../services/outbox/outbox-service.js';
import type { RateLimiter } from '../services/rate-limit/rate-limiter.js';
import type { ReconcileService } from '../services/reconcile/reconcile-service.js';
import type { RepositorySyncService } from '../services/repositories/repository-sync-service.js';
import type { StorageReadiness } from '../services/storage-readiness.js';
import type { TokenService } from '../services/token-service.js';
import { VERSION } from '../version.js';
import { registerAuth } from './auth/register-auth.js';
import { requiredAuth } from './auth/route-auth.js';
import { consolePlugin } from './console/console-plugin.js';
import { registerIdempotency } from './idempotency/register-idempotency.js';
import type { Metrics } from './metrics.js';
import { registerProblemHandlers } from './problem-handler.js';
import { auditRoutes } from './routes/audit-routes.js';
import { automationRoutes } from './routes/automation-routes.js';
import { batchRoutes } from './routes/batch-routes.js';
import { ciRoutes } from './routes/ci-routes.js';
import { deliveryRoutes } from './routes/delivery-routes.js';
import { gateRoutes } from './routes/gate-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { linkRoutes } from './routes/link-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';
import { outboxRoutes } from './routes/outbox-routes.js';
import { repositoryRoutes } from './routes/repository-routes.js';
import { storyRoutes } from './routes/story-routes.js';
import { tokenRoutes } from './routes/token-routes.js';
import { webhookRoutes } from './routes/webhook-routes.js';
import { AuditEntrySchema } from './schemas/audit-schemas.js';
import { OperationSchema } from './schemas/automation-schemas.js';
import { DeliverySchema } from './schemas/delivery-schemas.js';
import { ProblemSchema, problemResponses } from './schemas/problem-schema.js';
import { StorySchema } from './schemas/story-schemas.js';

/** What the routes are registered over: built once, by src/compose.ts. */
export interface AppServices extends StoryServices {
  tokens: TokenService;
  oidc: OidcVerifier;
  idempotency: IdempotencyService;
  rateLimiter: RateLimiter;
  metrics: Metrics;
  inbox: DeliveryInbox;
  refusals: WebhookRefusals;
  deliveries: DeliveryService;
  ci: CiEventService;
  outbox: OutboxService;
  /** Stories as code: `repositories:` and their syncs. */
  repositories: RepositorySyncService;
  /** POST /deliveries/reconcile: GitHub's missed deliveries asked for again. */
  reconcile: ReconcileService;
  gates: DeploymentGateService;
  readiness: {
    /** The database's dialect, named by /readyz. */
    database: string;
    checkStorage(): Promise<StorageReadiness>;
    /** A request failed for a storage reason: /readyz probes until a write succeeds. */
    noteStorageFailure(error: unknown): void;
    /** `serve`: why the write lock or the event loop is stuck, or null. */
    stuckReason(): string | null;
  };
  clock: Clock;
  ids: IdGenerator;
  /** The forges webhooks are taken from (a route each). */
  providers: ProviderTable;
}

export interface AppDependencies {
  config: Config;
  logger: Logger;
  services: AppServices;
}

type ContentTypeParserDoneFunction = (
  request: FastifyRequest,
  body: string | Buffer,
  done: (error: Error | null, body?: unknown) => void,
) => void;

/** The 400 for a body that is not UTF-8 (anything else thrown is passed on). */
function notUtf8Problem(
  error: unknown,
  code: 'invalid-document' | 'bad-request',
  what: string,
): Error {
  if (!(error instanceof InvalidUtf8Error)) return error as Error;
  const message = `${what} is ${error.message}`;
  return new ProblemError(code, message, {
    byteOffset: error.byteOffset,
    errors: [{ field: 'body', message }],
  });
}

export async function createApp(deps: AppDependencies): Promise<FastifyInstance> {
  const { config, services } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.storiesBodyLimit,
    // Behind a proxy, client addresses (rate limits, audit) come from X-Forwarded-For.
    trustProxy: config.trustProxy,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming)
        ? incoming
        : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // A storage failure answers 503; /readyz then probes with a write until one succeeds.
  registerProblemHandlers(app, {
    onStorageFailure: (error) => services.readiness.noteStorageFailure(error),
  });
  // Bodies are read as bytes and decoded exactly: a byte-order mark and CR LF line endings stay,
  // and bytes that are not UTF-8 answer 400 naming the offset of the first bad one (never
  // U+FFFD in their place). The webhook routes keep their own raw parser.
  app.addContentTypeParser(
    ['text/markdown', 'text/plain', 'text/x-markdown'],
    { parseAs: 'buffer' },
    (_request, body, done) => {
      try {
        done(null, decodeUtf8Exactly(body as Buffer));
      } catch (error) {
        done(notUtf8Problem(error, 'invalid-document', 'the document'));
      }
    },
  );
  /** JSON decoded from the exact bytes, then parsed as Fastify's own parser does. */
  const jsonFromBytes = (
    parseJson: ReturnType<typeof app.getDefaultJsonParser>,
  ): ContentTypeParserDoneFunction => {
    return (request, body, done) => {
      let text: string;
      try {
        text = decodeUtf8Exactly(body as Buffer);
      } catch (error) {
        done(notUtf8Problem(error, 'bad-request', 'the JSON body'), undefined);
        return;
      }
      parseJson(request, text, done);
    };
  };
  // Fastify's defaults for application/json: `__proto__` and `constructor.prototype` are 400.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    jsonFromBytes(app.getDefaultJsonParser('error', 'error')),
  );
  app.addContentTypeParser(
    'application/merge-patch+json',
    { parseAs: 'buffer' },
    jsonFromBytes(app.getDefaultJsonParser('error', 'ignore')),
  );

  const { metrics, rateLimiter } = services;
  registerAuth(app, {
    tokens: services.tokens,
    oidc: services.oidc,
    rateLimiter,
    metrics,
    limits: config.rateLimits,
    metricsPublic: config.metricsPublic,
  });
  // Idempotency-Key on POST/PATCH under /api/v1 (after auth: keys are per principal).
  registerIdempotency(app, {
    service: services.idempotency,
    cleanupIntervalMs: config.idempotency.cleanupIntervalSeconds * 1000,
  });
  app.addHook('onRoute', (route) => {
    // Document the answers every guarded route can give.
    const auth = requiredAuth(route.config, route.url);
    if (auth === 'public' || route.schema === undefined) return;
    const response = (route.schema.response ?? {}) as Record<string, unknown>;
    route.schema.response = { ...problemResponses(401, 403, 429), ...response };
    // OpenAPI 3.1 lets a bearer requirement list roles: the scope the route needs.
    route.schema.security = [{ bearer: [auth.scope] }];
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });

  app.addSchema(ProblemSchema);
  app.addSchema(StorySchema);
  app.addSchema(AuditEntrySchema);
  app.addSchema(DeliverySchema);
  app.addSchema(OperationSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'storyflow API',
        version: VERSION,
        description:
          'Stories as markdown documents with YAML frontmatter, kept in step with CI/CD. ' +
          'Errors are application/problem+json (RFC 9457).',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API token (sfp_…) or a CI OIDC id token',
          },
        },
      },
      tags: [
        { name: 'stories', description: 'Story documents and their workflow' },
        { name: 'tokens', description: 'API tokens for people and automation' },
        { name: 'audit', description: 'The tamper-evident audit log' },
        {
          name: 'webhooks',
          description: 'Forge webhooks, one route per provider (signed, not bearer tokens)',
        },
        { name: 'deliveries', description: 'The durable inbox of webhook and CI deliveries' },
        { name: 'ci', description: 'Events reported by CI systems' },
        { name: 'automation', description: 'Rules, operations, rollbacks and simulation' },
        {
          name: 'repositories',
          description: 'Stories as code: repositories whose story files storyflow imports',
        },
        { name: 'operations', description: 'Health, readiness and metrics' },
      ],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(healthRoutes, services.readiness);
  await app.register(metricsRoutes, { metrics });
  const { stories, links } = services;
  await app.register(storyRoutes, { prefix: '/api/v1', stories });
  await app.register(tokenRoutes, { prefix: '/api/v1', tokens: services.tokens });
  await app.register(auditRoutes, { prefix: '/api/v1', audit: services.audit, stories });
  await app.register(batchRoutes, {
    prefix: '/api/v1',
    batches: services.batches,
    maxBodyBytes: config.batch.maxBodyBytes,
  });
  await app.register(linkRoutes, { prefix: '/api/v1', links });
  await app.register(automationRoutes, {
    prefix: '/api/v1',
    stories,
    operations: services.operations,
    rules: services.rules,
    links,
  });
  await app.register(webhookRoutes, {
    config: config.webhooks,
    inbox: services.inbox,
    refusals: services.refusals,
    clock: services.clock,
    ids: services.ids,
    metrics,
    rateLimiter,
    refusalLimit: config.rateLimits.webhookRefusals,
    providers: services.providers,
  });
  await app.register(deliveryRoutes, {
    prefix: '/api/v1',
    deliveries: services.deliveries,
    reconcile: services.reconcile,
  });
  // The web console at `/` (docs/console.md): the same services, behind sessions of its own.
  await app.register(consolePlugin, {
    stories,
    links,
    operations: services.operations,
    tokens: services.tokens,
    workflow: config.workflow,
    rules: services.rules,
    audit: services.audit,
    deliveries: services.deliveries,
    outbox: services.outbox,
    repositories: services.repositories,
  });
  await app.register(ciRoutes, { prefix: '/api/v1', ci: services.ci });
  await app.register(outboxRoutes, { prefix: '/api/v1', outbox: services.outbox });
  await app.register(repositoryRoutes, {
    prefix: '/api/v1',
    repositories: services.repositories,
  });
  await app.register(gateRoutes, { prefix: '/api/v1', gates: services.gates });
  return app;
}
