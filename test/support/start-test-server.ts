// Starts the real app on a loopback port for API tests (real HTTP, real database).
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Config } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Clock } from '../../src/domain/clock.js';
import { createApp } from '../../src/http/create-app.js';
import type { Store } from '../../src/storage/store.js';

export interface TestServer {
  url: string;
  app: FastifyInstance;
  store: Store;
  close(): Promise<void>;
}

export async function startTestServer(
  store: Store,
  options: { config?: Partial<Config>; clock?: Clock } = {},
): Promise<TestServer> {
  const config = { ...loadConfig({ env: {}, cwd: '/nonexistent' }), ...options.config };
  const app = await createApp({
    config,
    store,
    logger: pino({ level: 'silent' }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    app,
    store,
    async close() {
      await app.close();
      await store.close();
    },
  };
}
