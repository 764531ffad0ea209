// Starts the HTTP server: config → logger → store (migrated) → app → listen; stops cleanly.
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config.js';
import { ProblemError } from './errors/problem-error.js';
import { createApp } from './http/create-app.js';
import { createLogger } from './logger.js';
import { openStore } from './storage/open-store.js';
import { SharedWriteLock, WriteLockTimeoutError } from './worker/threads/shared-write-lock.js';

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
  // On a SQLite file the main thread's writes (API, CI events) take the write lock that the
  // webhook writer and inbox worker threads share, instead of SQLite's busy handler, which waits
  // with the event loop stopped. The WAL checkpoint thread checkpoints for every connection.
  const writeLock = SharedWriteLock.createBuffer();
  const mainLock = new SharedWriteLock(writeLock);
  // A request that waits longer than the bound for the lock (or for the one SQLite connection
  // another request holds) fails with 503 instead of hanging (config.writeLockTimeoutMs).
  const busy = (waitedMs: number) =>
    new ProblemError(
      'unavailable',
      `The database is busy: this request waited ${waitedMs} ms for the write lock or the ` +
        `connection another request holds (the bound is ${config.writeLockTimeoutMs} ms, ` +
        'database.writeLockTimeoutSeconds); try again',
      {},
      { 'retry-after': '1' },
    );
  const store = await openStore(config.database, {
    sqliteWriteLock: () =>
      mainLock.lockWithoutBlocking(config.writeLockTimeoutMs).catch((error: unknown) => {
        throw error instanceof WriteLockTimeoutError ? busy(error.waitedMs) : error;
      }),
    sqliteConnectionWait: { timeoutMs: config.writeLockTimeoutMs, error: busy },
    sqliteAutoCheckpoint: false,
    // Only the message and code: pg's error carries the whole client object.
    onConnectionError: (error) =>
      logger.warn(
        { error: error.message, code: (error as { code?: unknown }).code },
        'a database connection failed; the pool replaces it',
      ),
  });
  const app = await createApp({ config, store, logger, threads: true, writeLock });
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
      await store.close();
    })();
    return closing;
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
