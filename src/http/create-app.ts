// Builds the Fastify application: content types, problem errors, OpenAPI, and every route.
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { type Clock, systemClock } from '../domain/clock.js';
import { StoryService } from '../services/story-service.js';
import type { Store } from '../storage/store.js';
import { createMetrics } from './metrics.js';
import { registerProblemHandlers } from './problem-handler.js';
import { healthRoutes } from './routes/health-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';
import { storyRoutes } from './routes/story-routes.js';
import { ProblemSchema } from './schemas/problem-schema.js';
import { StorySchema } from './schemas/story-schemas.js';

export interface AppDependencies {
  config: Config;
  store: Store;
  logger: Logger;
  clock?: Clock;
}

const VERSION = '0.1.0';

export async function createApp(deps: AppDependencies): Promise<FastifyInstance> {
  const { config, store } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.storiesBodyLimit,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming)
        ? incoming
        : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerProblemHandlers(app);
  app.addContentTypeParser(
    ['text/markdown', 'text/plain', 'text/x-markdown'],
    { parseAs: 'string' },
    (_request, body, done) => done(null, body),
  );
  app.addContentTypeParser(
    'application/merge-patch+json',
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'ignore'),
  );

  const metrics = createMetrics(store);
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
      tags: [
        { name: 'stories', description: 'Story documents and their workflow' },
        { name: 'operations', description: 'Health, readiness and metrics' },
      ],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(healthRoutes, { store });
  await app.register(metricsRoutes, { metrics });
  const stories = new StoryService(store, config.workflow, deps.clock ?? systemClock);
  await app.register(storyRoutes, { prefix: '/api/v1', stories });
  return app;
}
