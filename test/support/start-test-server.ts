// Starts the real app on a loopback port for API tests (real HTTP, real database).
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { compose } from '../../src/compose.js';
import type { Config } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Clock } from '../../src/domain/clock.js';
import { type AppServices, createApp } from '../../src/http/create-app.js';
import type { ProviderTable } from '../../src/providers/index.js';
import type { DeliveryHandler } from '../../src/services/inbox/delivery-handler.js';
import type { RateLimiter } from '../../src/services/rate-limit/rate-limiter.js';
import type { Store } from '../../src/storage/store.js';
import { InboxWorker } from '../../src/worker/inbox-worker.js';

/** The STORYFLOW_ADMIN_TOKEN every test server accepts. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestServer {
  url: string;
  /** An admin bearer token for this server. */
  token: string;
  app: FastifyInstance;
  store: Store;
  /** The services the routes run over (built by src/compose.ts). */
  services: AppServices;
  /** The in-process inbox worker: tests drive it with runOnce. */
  inboxWorker: InboxWorker;
  close(): Promise<void>;
}

export async function startTestServer(
  store: Store,
  options: {
    config?: Partial<Config>;
    clock?: Clock;
    rateLimiter?: RateLimiter;
    deliveryHandler?: DeliveryHandler;
    /** The webhook providers (default: the table of src/providers). */
    providers?: ProviderTable;
    /** Default: a silent pino logger. */
    logger?: Logger;
  } = {},
): Promise<TestServer> {
  const config = {
    ...loadConfig({ env: { STORYFLOW_ADMIN_TOKEN: TEST_ADMIN_TOKEN }, cwd: '/nonexistent' }),
    ...options.config,
  };
  const logger = options.logger ?? pino({ level: 'silent' });
  const composition = await compose({
    config,
    logger,
    store,
    threads: false,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.rateLimiter === undefined ? {} : { rateLimiter: options.rateLimiter }),
    ...(options.deliveryHandler === undefined ? {} : { deliveryHandler: options.deliveryHandler }),
    ...(options.providers === undefined ? {} : { providers: options.providers }),
  });
  const app = await createApp({ config, logger, services: composition.services });
  await composition.start();
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const { worker } = composition;
  if (!(worker instanceof InboxWorker)) throw new Error('a test server has no worker thread');
  return {
    url,
    token: TEST_ADMIN_TOKEN,
    app,
    store,
    services: composition.services,
    inboxWorker: worker,
    async close() {
      await app.close();
      await composition.close();
      await store.close();
    },
  };
}
