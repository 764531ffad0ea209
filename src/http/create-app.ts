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
import { SQLITE_MEMORY } from '../config/store-location.js';
import { decodeUtf8Exactly, InvalidUtf8Error } from '../domain/bytes/utf8.js';
import { type Clock, systemClock } from '../domain/clock.js';
import type { IdGenerator } from '../domain/ids.js';
import { ProblemError } from '../errors/problem-error.js';
import { type ProviderTable, webhookProviders } from '../providers/index.js';
import { AuditService } from '../services/audit-service.js';
import { AutomationEngine } from '../services/automation/automation-engine.js';
import { AutomationSettings } from '../services/automation/automation-settings.js';
import { OperationService } from '../services/automation/operation-service.js';
import { RuleService } from '../services/automation/rule-service.js';
import { BatchService } from '../services/batch-service.js';
import { DeliveryService } from '../services/delivery-service.js';
import { DeploymentGateService } from '../services/deployment-gate-service.js';
import { IdempotencyService } from '../services/idempotency-service.js';
import { CiEventService } from '../services/inbox/ci-event-service.js';
import type { DeliveryHandler } from '../services/inbox/delivery-handler.js';
import { DeliveryInbox } from '../services/inbox/delivery-inbox.js';
import { WebhookRefusals } from '../services/inbox/webhook-refusals.js';
import { LinkService } from '../services/link-service.js';
import { OidcVerifier } from '../services/oidc/oidc-verifier.js';
import { OutboxService } from '../services/outbox/outbox-service.js';
import { randomIds } from '../services/random-ids.js';
import { createRateLimiter } from '../services/rate-limit/create-rate-limiter.js';
import type { RateLimiter } from '../services/rate-limit/rate-limiter.js';
import { StoryService } from '../services/story-service.js';
import { TokenService } from '../services/token-service.js';
import type { DeliveryOutcome } from '../storage/delivery-repository.js';
import type { Store } from '../storage/store.js';
import { VERSION } from '../version.js';
import { InboxWorker } from '../worker/inbox-worker.js';
import { SharedWriteLock } from '../worker/threads/shared-write-lock.js';
import { ThreadedDeliveryWriter } from '../worker/threads/threaded-delivery-writer.js';
import { ThreadedInboxWorker } from '../worker/threads/threaded-inbox-worker.js';
import { WalCheckpointer } from '../worker/threads/wal-checkpointer.js';
import { registerAuth } from './auth/register-auth.js';
import { requiredAuth } from './auth/route-auth.js';
import { registerIdempotency } from './idempotency/register-idempotency.js';
import { createMetrics } from './metrics.js';
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
import { storyRoutes } from './routes/story-routes.js';
import { tokenRoutes } from './routes/token-routes.js';
import { webhookRoutes } from './routes/webhook-routes.js';
import { AuditEntrySchema } from './schemas/audit-schemas.js';
import { OperationSchema } from './schemas/automation-schemas.js';
import { DeliverySchema } from './schemas/delivery-schemas.js';
import { ProblemSchema, problemResponses } from './schemas/problem-schema.js';
import { StorySchema } from './schemas/story-schemas.js';
import { type StuckCheck, startStuckCheck } from './stuck-check.js';

export interface AppDependencies {
  config: Config;
  store: Store;
  logger: Logger;
  clock?: Clock;
  ids?: IdGenerator;
  /** Default: in memory, or Redis when config.redisUrl is set. */
  rateLimiter?: RateLimiter;
  /**
   * `serve`: commit webhooks in a thread of their own (SQLite files) and run the inbox worker in
   * another (any database but in-memory SQLite). Off by default, so tests can drive the worker.
   */
  threads?: boolean;
  /**
   * The write lock of `serve`'s threads on a SQLite file, when the store's own connection takes
   * it too (server.ts opens the store with it); created here otherwise.
   */
  writeLock?: SharedArrayBuffer;
  /** What deliveries do; default: the automation engine built here. */
  deliveryHandler?: DeliveryHandler;
  /**
   * The forges webhooks are taken from (a route each); default: the table of src/providers.
   * `serve`'s threads always use that table (functions do not cross to a thread).
   */
  providers?: ProviderTable;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The token service, for the server's start-up bootstrap. */
    tokens: TokenService;
    /** This instance's inbox worker (tests drive it with runOnce when workers are off). */
    inboxWorker: InboxWorker;
  }
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
  const { config, store } = deps;
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
  registerProblemHandlers(app, { onStorageFailure: (error) => store.health.noteError(error) });
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

  const clock = deps.clock ?? systemClock;
  const providers = deps.providers ?? webhookProviders;
  // A query on the store, until `serve`'s checkpoint thread takes the count over (below).
  let countBacklog = () => store.deliveries.countBacklog();
  const metrics = createMetrics(store, () => countBacklog());
  const rateLimiter =
    deps.rateLimiter ??
    (await createRateLimiter({
      ...(config.redisUrl === null ? {} : { redisUrl: config.redisUrl }),
      clock,
      onError: (error) =>
        app.log.warn({ err: error }, 'rate limiter unavailable; allowing requests'),
    }));
  if (deps.rateLimiter === undefined) app.addHook('onClose', () => rateLimiter.close());
  const tokens = new TokenService(
    store,
    clock,
    deps.ids ?? randomIds,
    config.adminTokens,
    config.rateLimits.perToken,
  );
  registerAuth(app, {
    tokens,
    oidc: new OidcVerifier(config.oidc.issuers, config.oidc.policies, () => clock.now()),
    rateLimiter,
    metrics,
    limits: config.rateLimits,
    metricsPublic: config.metricsPublic,
  });
  // Idempotency-Key on POST/PATCH under /api/v1 (after auth: keys are per principal).
  registerIdempotency(app, {
    service: new IdempotencyService(
      store.idempotency,
      clock,
      {
        ttlMs: config.idempotency.ttlHours * 3_600_000,
        leaseMs: config.idempotency.inFlightTimeoutSeconds * 1000,
        cleanupIntervalMs: config.idempotency.cleanupIntervalSeconds * 1000,
      },
      (error) => app.log.warn({ err: error }, 'could not delete expired Idempotency-Keys'),
    ),
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
        { name: 'webhooks', description: 'GitHub and GitLab webhooks (signed, not bearer tokens)' },
        { name: 'deliveries', description: 'The durable inbox of webhook and CI deliveries' },
        { name: 'ci', description: 'Events reported by CI systems' },
        { name: 'automation', description: 'Rules, operations, rollbacks and simulation' },
        { name: 'operations', description: 'Health, readiness and metrics' },
      ],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // `serve`: /readyz also answers 503 while the write lock or the event loop is stuck. Sampled
  // from onReady on: blocks while starting (threads, plugins) say nothing about readiness.
  let stuck: StuckCheck | undefined;
  if (deps.threads === true) {
    app.addHook('onReady', async () => {
      stuck = startStuckCheck({
        ...(deps.writeLock === undefined ? {} : { lock: new SharedWriteLock(deps.writeLock) }),
        lockBoundMs: config.writeLockTimeoutMs,
      });
    });
    app.addHook('onClose', async () => stuck?.stop());
  }
  await app.register(healthRoutes, { store, stuckReason: () => stuck?.reason() ?? null });
  await app.register(metricsRoutes, { metrics });
  const stories = new StoryService(store, config.workflow, clock);
  const links = new LinkService(store, clock);
  await app.register(storyRoutes, { prefix: '/api/v1', stories });
  await app.register(tokenRoutes, { prefix: '/api/v1', tokens });
  await app.register(auditRoutes, { prefix: '/api/v1', audit: new AuditService(store), stories });
  await app.register(batchRoutes, {
    prefix: '/api/v1',
    batches: new BatchService(
      store,
      stories,
      config.workflow,
      clock,
      deps.ids ?? randomIds,
      (error) => app.log.error({ err: error }, 'a batch operation failed'),
      links,
    ),
    maxBodyBytes: config.batch.maxBodyBytes,
  });
  app.decorate('tokens', tokens);

  const ids = deps.ids ?? randomIds;
  const settings = new AutomationSettings(config);
  const engine = new AutomationEngine(stories, settings, clock, ids);
  const handler = deps.deliveryHandler ?? engine;
  const operations = new OperationService(store, stories, engine, clock, ids);
  await app.register(linkRoutes, { prefix: '/api/v1', links });
  await app.register(automationRoutes, {
    prefix: '/api/v1',
    stories,
    operations,
    rules: new RuleService(store, settings, config.workflow, clock),
    links,
  });
  const onOutcomes = (outcomes: { provider: string; status: DeliveryOutcome['status'] }[]) => {
    for (const outcome of outcomes) metrics.deliveriesProcessed.inc(outcome);
    // Failed deliveries stay in the backlog until they succeed or die.
    inbox.noteProcessed(outcomes.filter((outcome) => outcome.status !== 'failed').length);
  };
  const onWorkerError = (error: unknown) =>
    app.log.error({ err: error }, 'inbox worker failed; it carries on');
  const worker = new InboxWorker(store, handler, {
    owner: ids.next('worker'),
    batchSize: config.inbox.batchSize,
    leaseMs: config.inbox.leaseMs,
    pollMs: config.inbox.pollMs,
    retrySchedule: config.inbox.retrySchedule,
    clock,
    providers,
    onError: onWorkerError,
    onOutcomes,
  });
  const threads =
    deps.threads === true ? threadPlan(config, deps) : { writer: null, worker: false };
  const writeLock =
    threads.writer === null ? null : (deps.writeLock ?? SharedWriteLock.createBuffer());
  const writer =
    threads.writer === null || writeLock === null
      ? undefined
      : await ThreadedDeliveryWriter.start({
          filename: threads.writer,
          writeLock,
          onThreadExit: (error) =>
            app.log.error({ err: error }, 'the delivery writer thread died; starting another'),
        });
  if (writer !== undefined) app.addHook('onClose', async () => writer.close());
  const checkpointer =
    threads.writer === null
      ? undefined
      : await WalCheckpointer.start({
          filename: threads.writer,
          onThreadExit: (error) =>
            app.log.error({ err: error }, 'the WAL checkpoint thread died; starting another'),
        });
  if (checkpointer !== undefined) {
    // Off the event loop; while the thread is being restarted, on the store as before.
    countBacklog = () => checkpointer.countBacklog().catch(() => store.deliveries.countBacklog());
  }
  const background = threads.worker
    ? new ThreadedInboxWorker({
        config,
        owner: ids.next('worker'),
        niceness: config.inbox.workerNiceness,
        writeLock,
        onError: onWorkerError,
        onOutcomes,
      })
    : worker;
  const inbox = new DeliveryInbox(store, {
    max: config.inbox.max,
    providers,
    countBacklog: () => countBacklog(),
    onStored: () => background.wake(),
    onWriteFailure: (error) => store.health.noteError(error),
    ...(writer === undefined ? {} : { write: (items) => writer.write(items) }),
  });
  if (config.inbox.workers) {
    app.addHook('onReady', async () => background.start());
    // Before the writer thread closes (hooks run in order): the worker may still be busy.
    app.addHook('onClose', async () => background.stop());
  }
  // Last: a final checkpoint once the writer and the worker are done.
  if (checkpointer !== undefined) app.addHook('onClose', async () => checkpointer.close());
  app.decorate('inboxWorker', worker);
  await app.register(webhookRoutes, {
    config: config.webhooks,
    inbox,
    refusals: new WebhookRefusals({
      store,
      clock,
      windowMs: config.rateLimits.webhookRefusals.windowMs,
      onError: (error) => app.log.error({ err: error }, 'could not audit refused webhooks'),
    }),
    clock,
    ids,
    metrics,
    rateLimiter,
    refusalLimit: config.rateLimits.webhookRefusals,
    providers,
  });
  await app.register(deliveryRoutes, {
    prefix: '/api/v1',
    deliveries: new DeliveryService(store, clock, () => background.wake()),
  });
  const ci = new CiEventService(store, handler, clock, ids, config.inbox.retrySchedule);
  await app.register(ciRoutes, { prefix: '/api/v1', ci });
  await app.register(outboxRoutes, {
    prefix: '/api/v1',
    outbox: new OutboxService(store, config, clock, ids),
  });
  await app.register(gateRoutes, {
    prefix: '/api/v1',
    gates: new DeploymentGateService(store, config),
  });
  return app;
}

/**
 * Which threads `serve` starts: a writer thread for a SQLite file (its commits would otherwise
 * block the event loop) and a worker thread unless the database lives in this process's memory
 * or the caller plugged in its own delivery handler.
 */
function threadPlan(
  config: Config,
  deps: AppDependencies,
): { writer: string | null; worker: boolean } {
  const location = config.database;
  const shared = location.dialect === 'postgres' || location.filename !== SQLITE_MEMORY;
  return {
    writer: location.dialect === 'sqlite' && shared ? location.filename : null,
    worker: shared && deps.deliveryHandler === undefined,
  };
}
