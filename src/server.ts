// Starts the HTTP server: config → logger → store (migrated) → app → listen; stops cleanly.
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config.js';
import { createApp } from './http/create-app.js';
import { createLogger } from './logger.js';
import { openStore } from './storage/open-store.js';
import { SharedWriteLock } from './worker/threads/shared-write-lock.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const logger = createLogger(config.logLevel);
  // On a SQLite file the main thread's writes (API, CI events) take the write lock that the
  // webhook writer and inbox worker threads share, instead of SQLite's busy handler, which waits
  // with the event loop stopped. The WAL checkpoint thread checkpoints for every connection.
  const writeLock = SharedWriteLock.createBuffer();
  const mainLock = new SharedWriteLock(writeLock);
  const store = await openStore(config.databaseUrl, {
    sqliteWriteLock: () => mainLock.lockWithoutBlocking(),
    sqliteAutoCheckpoint: false,
    onIdleConnectionError: (error) =>
      logger.warn({ err: error }, 'an idle database connection failed; the pool replaces it'),
  });
  const app = await createApp({ config, store, logger, threads: true, writeLock });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
    await store.close();
  };
  try {
    const bootstrapToken = await app.tokens.bootstrapAdminToken();
    if (bootstrapToken !== null) {
      logger.warn(
        { bootstrapToken },
        `No API token existed, so an admin token was created. It is shown only this once: ${bootstrapToken} ` +
          '— use it to create scoped tokens (storyflow token create), then revoke it.',
      );
    } else if (config.adminTokens.length === 0) {
      // Without this line, someone who missed the first start's log has no way in.
      logger.info(
        'API tokens already exist, so no bootstrap token was created. Lost it? On this machine run ' +
          "`storyflow token bootstrap` (with this server's config and STORYFLOW_DATABASE_URL), or " +
          'restart with STORYFLOW_ADMIN_TOKEN set (see docs/security.md).',
      );
    }
    const address = await app.listen({ port: config.port, host: config.host });
    logger.info(
      { database: store.dialect, configFile: config.configFile },
      `storyflow listening on ${address} (API reference at ${address}/docs)`,
    );
    return { app, url: address, close };
  } catch (error) {
    await close();
    throw error;
  }
}
