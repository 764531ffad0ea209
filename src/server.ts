// Starts the HTTP server: config → logger → composition (store migrated, services, threads) →
// app (routes) → background work → listen; stops in the reverse order.
import type { FastifyInstance } from 'fastify';
import { compose } from './compose.js';
import type { Config } from './config/config.js';
import { createApp } from './http/create-app.js';
import { createLogger } from './logger.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  /**
   * Stops listening and lets in-flight requests finish for up to config.shutdownGraceMs; then
   * closes their connections (they get no answer) and the threads and the store.
   */
  close(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const logger = createLogger(config.logLevel);
  const composition = await compose({ config, logger, threads: true });
  const app = await createApp({ config, logger, services: composition.services }).catch(
    async (error: unknown) => {
      await composition.close();
      throw error;
    },
  );
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const appClosed = app.close();
      // Requests still running after the grace period lose their connections, so the server
      // closes; a stuck one no longer keeps the process alive (the CLI also exits hard).
      const grace = setTimeout(() => {
        logger.warn(
          { graceMs: config.shutdownGraceMs },
          'requests still running after the shutdown grace period; closing their connections',
        );
        app.server.closeAllConnections();
      }, config.shutdownGraceMs);
      try {
        await appClosed;
      } finally {
        clearTimeout(grace);
      }
      await composition.close();
    })();
    return closing;
  };
  try {
    const bootstrapToken = await composition.services.tokens.bootstrapAdminToken();
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
    // Before listening: once /healthz answers, the CLI's signal handlers must be in place, and
    // they are installed when this function returns.
    await composition.start();
    const address = await app.listen({ port: config.port, host: config.host });
    logger.info(
      { database: composition.store.dialect, configFile: config.configFile },
      `storyflow listening on ${address} (API reference at ${address}/docs)`,
    );
    return { app, url: address, close };
  } catch (error) {
    await close();
    throw error;
  }
}
