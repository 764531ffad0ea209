// The composition root: the store, every service and the background runtimes (the inbox worker,
// and on a SQLite file the threads of storage/sqlite/serve-mode) are built here, once, and handed
// to createApp, which only registers routes over them. server.ts composes with threads; the tests
// compose without them and drive the in-process inbox worker themselves.
import type { Logger } from 'pino';
import { RECONCILED_PROVIDERS } from './config/build-forges.js';
import type { Config } from './config/config.js';
import { SQLITE_MEMORY } from './config/store-location.js';
import { type Clock, systemClock } from './domain/clock.js';
import type { IdGenerator } from './domain/ids.js';
import { ProblemError } from './errors/problem-error.js';
import type { AppServices } from './http/create-app.js';
import { createMetrics } from './http/metrics.js';
import { type StuckCheck, startStuckCheck } from './http/stuck-check.js';
import { type ProviderTable, webhookProviders } from './providers/index.js';
import { composeServices } from './services/compose-services.js';
import { DeliveryService } from './services/delivery-service.js';
import { IdempotencyService } from './services/idempotency-service.js';
import { CiEventService } from './services/inbox/ci-event-service.js';
import type { DeliveryHandler } from './services/inbox/delivery-handler.js';
import { DeliveryInbox } from './services/inbox/delivery-inbox.js';
import type { InboxItem, InboxResult } from './services/inbox/store-deliveries.js';
import { WebhookRefusals } from './services/inbox/webhook-refusals.js';
import { OidcVerifier } from './services/oidc/oidc-verifier.js';
import { OutboxSender } from './services/outbox/outbox-sender.js';
import { randomIds } from './services/random-ids.js';
import { createRateLimiter } from './services/rate-limit/create-rate-limiter.js';
import type { RateLimiter } from './services/rate-limit/rate-limiter.js';
import { GithubHookDeliveries } from './services/reconcile/github-hook-deliveries.js';
import { ReconcileSchedule } from './services/reconcile/reconcile-schedule.js';
import { ReconcileService } from './services/reconcile/reconcile-service.js';
import { RepositorySyncRunner } from './services/repositories/repository-sync-runner.js';
import { RepositorySyncService } from './services/repositories/repository-sync-service.js';
import { RepositoryWriteBack } from './services/repositories/repository-write-back.js';
import { RepositoryWriteBackRunner } from './services/repositories/repository-write-back-runner.js';
import { WriteBackPullRequests } from './services/repositories/write-back-pull-requests.js';
import { checkStorageReadiness } from './services/storage-readiness.js';
import { TokenService } from './services/token-service.js';
import { openStore } from './storage/open-store.js';
import {
  openSqliteServeMode,
  type SqliteServeMode,
} from './storage/sqlite/serve-mode/sqlite-serve-mode.js';
import type { Store } from './storage/store.js';
import { InboxWorker, type ProcessedOutcome } from './worker/inbox-worker.js';
import { ThreadedInboxWorker } from './worker/threads/threaded-inbox-worker.js';

export interface ComposeOptions {
  config: Config;
  logger: Logger;
  /**
   * `serve`: commit webhooks in a thread of their own (SQLite files) and run the inbox worker in
   * another (any database but in-memory SQLite, and only with the default delivery handler).
   */
  threads: boolean;
  /** A store opened by the caller, who closes it (tests); default: config.database, opened here. */
  store?: Store;
  clock?: Clock;
  ids?: IdGenerator;
  /** Default: in memory, or Redis when config.redisUrl is set. */
  rateLimiter?: RateLimiter;
  /** What deliveries do; default: the automation engine. */
  deliveryHandler?: DeliveryHandler;
  /** The forges webhooks are taken from; default: the table of src/providers. */
  providers?: ProviderTable;
}

export interface Composition {
  store: Store;
  services: AppServices;
  /** The inbox worker: in this process, or the handle of its thread. */
  worker: InboxWorker | ThreadedInboxWorker;
  /** Starts the background work (the inbox worker when config.inbox.workers; /readyz sampling). */
  start(): Promise<void>;
  /** Stops it and closes what was opened here (threads, rate limiter, store), in that order. */
  close(): Promise<void>;
}

const WRITER_SCRIPT = new URL('./worker/threads/delivery-writer-thread.js', import.meta.url);

export async function compose(options: ComposeOptions): Promise<Composition> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const providers = options.providers ?? webhookProviders;
  const location = config.database;
  const sharedDatabase = location.dialect === 'postgres' || location.filename !== SQLITE_MEMORY;
  const serveMode =
    options.store === undefined &&
    options.threads &&
    location.dialect === 'sqlite' &&
    sharedDatabase
      ? await openServeMode(config, logger, location.filename)
      : undefined;
  const store =
    options.store ??
    serveMode?.store ??
    (await openStore(location, {
      // Only the message and code: pg's error carries the whole client object.
      onConnectionError: (error) =>
        logger.warn(
          { error: error.message, code: (error as { code?: unknown }).code },
          'a database connection failed; the pool replaces it',
        ),
    }));
  const countBacklog = serveMode?.countBacklog ?? (() => store.deliveries.countBacklog());
  const metrics = createMetrics({
    countStories: () => store.stories.countStories(),
    countBacklog,
  });
  const rateLimiter =
    options.rateLimiter ??
    (await createRateLimiter({
      ...(config.redisUrl === null ? {} : { redisUrl: config.redisUrl }),
      clock,
      onError: (error) =>
        logger.warn({ err: error }, 'rate limiter unavailable; allowing requests'),
    }));
  // The calls to forges go out from the main thread (one sender per instance; rows are leased).
  const outboxSender = new OutboxSender(store, config, clock, {
    onError: (error) => logger.error({ err: error }, 'outbox sender failed; it carries on'),
    onOutcome: (outcome, forge, kind) => metrics.outboxCalls.inc({ forge, kind, outcome }),
    onCircuit: (forge, state, until) =>
      state === 'open'
        ? logger.warn({ forge, until }, 'calls to this forge keep failing: paused until then')
        : logger.info({ forge }, 'the forge answers again: its calls resume'),
  });
  // Syncs of `repositories:` run on the main thread, off the webhook path (docs/git-sync.md).
  let repositoryRunner: RepositorySyncRunner | undefined;
  let writeBackRunner: RepositoryWriteBackRunner | undefined;
  const reconcile = new ReconcileService(
    store,
    config.forges,
    clock,
    (forge, signal) => new GithubHookDeliveries(forge, fetch, signal),
  );
  // Asks GitHub and GitLab for missed deliveries every reconcile.intervalMinutes (one instance at
  // a time).
  const reconcileSchedule =
    config.reconcile.enabled &&
    config.forges.some((forge) => RECONCILED_PROVIDERS.has(forge.provider))
      ? new ReconcileSchedule(reconcile, config.reconcile, clock, {
          onRun: (summary) =>
            logger.info(
              {
                ...summary,
                repositories: summary.repositories.length,
                forges: summary.forges.map(({ forge, checked, redelivered, errors }) => ({
                  forge,
                  checked,
                  redelivered,
                  errors: errors.length,
                })),
              },
              'reconciled webhook deliveries',
            ),
          onError: (error) => logger.error({ err: error }, 'reconciliation failed; it carries on'),
        })
      : undefined;
  const core = composeServices(store, config, {
    clock,
    ids,
    onOutboxQueued: () => outboxSender.wake(),
    onRepositoryPush: () => repositoryRunner?.wake(),
    onWriteBackQueued: () => writeBackRunner?.wake(),
    ...(options.deliveryHandler === undefined ? {} : { deliveryHandler: options.deliveryHandler }),
    onBatchError: (error) => logger.error({ err: error }, 'a batch operation failed'),
  });

  // pull-request mode: the branch's pull request goes through the outbox (docs/git-sync.md).
  const pullRequests = new WriteBackPullRequests(store, core.outbox);
  const repositories = new RepositorySyncService(
    store,
    core.stories,
    config,
    clock,
    () => repositoryRunner?.wake(),
    pullRequests,
  );
  repositoryRunner = new RepositorySyncRunner(store, repositories, clock, {
    onError: (error, repository) =>
      logger.warn({ err: error, repository }, 'a repository sync failed; it is tried again'),
  });
  // Changes to bound stories are written back to their files, on the main thread too.
  const writeBack = new RepositoryWriteBack(
    store,
    config,
    clock,
    async (name) => {
      await repositories.requestSync(name);
    },
    pullRequests,
  );
  writeBackRunner = new RepositoryWriteBackRunner(store, writeBack, config, clock, {
    onError: (error, repository) =>
      logger.warn({ err: error, repository }, 'a write-back failed; it is tried again'),
    onWritten: (repository, outcome) =>
      logger.info({ repository, ...outcome }, 'wrote changes back to the repository'),
  });

  const onOutcomes = (outcomes: ProcessedOutcome[]) => {
    for (const outcome of outcomes) metrics.deliveriesProcessed.inc(outcome);
    // Failed deliveries stay in the backlog until they succeed or die.
    inbox.noteProcessed(outcomes.filter((outcome) => outcome.status !== 'failed').length);
  };
  const onWorkerError = (error: unknown) =>
    logger.error({ err: error }, 'inbox worker failed; it carries on');
  // A thread builds its own services, so a caller's own delivery handler keeps the worker here.
  const worker =
    options.threads && sharedDatabase && options.deliveryHandler === undefined
      ? new ThreadedInboxWorker({
          config,
          owner: ids.next('worker'),
          niceness: config.inbox.workerNiceness,
          writeLock: serveMode?.writeLock ?? null,
          onError: onWorkerError,
          onOutcomes,
        })
      : new InboxWorker(store, core.handler, {
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
  const inbox = new DeliveryInbox(store, {
    max: config.inbox.max,
    providers,
    countBacklog,
    onStored: () => worker.wake(),
    onWriteFailure: (error) => store.health.noteError(error),
    ...(serveMode === undefined ? {} : { write: serveMode.writeDeliveries }),
  });

  // `serve`: /readyz also answers 503 while the write lock or the event loop is stuck.
  let stuck: StuckCheck | undefined;
  const services: AppServices = {
    ...core,
    tokens: new TokenService(store, clock, ids, config.adminTokens, config.rateLimits.perToken),
    oidc: new OidcVerifier(config.oidc.issuers, config.oidc.policies, () => clock.now()),
    idempotency: new IdempotencyService(
      store.idempotency,
      clock,
      {
        ttlMs: config.idempotency.ttlHours * 3_600_000,
        leaseMs: config.idempotency.inFlightTimeoutSeconds * 1000,
        cleanupIntervalMs: config.idempotency.cleanupIntervalSeconds * 1000,
      },
      (error) => logger.warn({ err: error }, 'could not delete expired Idempotency-Keys'),
    ),
    rateLimiter,
    metrics,
    inbox,
    refusals: new WebhookRefusals({
      store,
      clock,
      windowMs: config.rateLimits.webhookRefusals.windowMs,
      onError: (error) => logger.error({ err: error }, 'could not audit refused webhooks'),
    }),
    deliveries: new DeliveryService(store, clock, () => worker.wake()),
    repositories,
    reconcile,
    ci: new CiEventService(store, core.handler, clock, ids, config.inbox.retrySchedule),
    readiness: {
      database: store.dialect,
      checkStorage: () => checkStorageReadiness(store),
      noteStorageFailure: (error) => store.health.noteError(error),
      stuckReason: () => stuck?.reason() ?? null,
    },
    clock,
    ids,
    providers,
  };

  let closing: Promise<void> | undefined;
  return {
    store,
    services,
    worker,
    async start() {
      if (options.threads) {
        // Sampled from here on: blocks while starting say nothing about readiness.
        stuck = startStuckCheck({
          ...(serveMode === undefined
            ? {}
            : { lock: { heldForMs: (now: number) => serveMode.lockHeldForMs(now) } }),
          lockBoundMs: config.writeLockTimeoutMs,
        });
      }
      if (config.inbox.workers) await worker.start();
      if (config.forges.length > 0) outboxSender.start();
      if (config.repositories.length > 0) repositoryRunner?.start();
      if (config.repositories.some((entry) => entry.writeBack !== 'off')) writeBackRunner?.start();
      reconcileSchedule?.start();
    },
    close() {
      closing ??= (async () => {
        stuck?.stop();
        await outboxSender.stop();
        await repositoryRunner?.stop();
        await writeBackRunner?.stop();
        await reconcileSchedule?.stop();
        // Before the writer thread closes: the worker may still be busy.
        await worker.stop();
        if (options.rateLimiter === undefined) await rateLimiter.close();
        if (serveMode !== undefined) await serveMode.close();
        else if (options.store === undefined) await store.close();
      })();
      return closing;
    },
  };
}

/** A SQLite file under `serve`: its threads, its lock, its store (storage/sqlite/serve-mode). */
function openServeMode(
  config: Config,
  logger: Logger,
  filename: string,
): Promise<SqliteServeMode<InboxItem, InboxResult>> {
  return openSqliteServeMode<InboxItem, InboxResult>({
    filename,
    lockTimeoutMs: config.writeLockTimeoutMs,
    // A request that waits longer than the bound for the lock (or for the one SQLite connection
    // another request holds) fails with 503 instead of hanging.
    busyError: (waitedMs) =>
      new ProblemError(
        'unavailable',
        `The database is busy: this request waited ${waitedMs} ms for the write lock or the ` +
          `connection another request holds (the bound is ${config.writeLockTimeoutMs} ms, ` +
          'database.writeLockTimeoutSeconds); try again',
        {},
        { 'retry-after': '1' },
      ),
    writerScript: WRITER_SCRIPT,
    onThreadExit: (thread, error) =>
      logger.error({ err: error }, `the ${thread} thread died; starting another`),
  });
}
