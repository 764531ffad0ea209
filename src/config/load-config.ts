// Reads storyflow.config.yaml (or STORYFLOW_CONFIG) and STORYFLOW_* variables, validates them
// once, and returns one frozen Config. Nothing else in storyflow reads process.env.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { parseRateLimit, type RateLimitPolicy } from '../domain/rate-limit/parse-rate-limit.js';
import { DEFAULT_STORY_BOOKKEEPING } from '../domain/story/story-bookkeeping.js';
import { buildForges, RECONCILED_PROVIDERS } from './build-forges.js';
import {
  buildAutomation,
  buildGates,
  buildOidc,
  buildPeople,
  buildWorkflow,
} from './build-policies.js';
import { buildGit, buildRepositories } from './build-repositories.js';
import { buildInbox, buildWebhooks } from './build-webhooks.js';
import type { Config } from './config.js';
import { ConfigError } from './config-error.js';
import { type ConfigFile, ConfigFileSchema, LOG_LEVELS } from './config-file-schema.js';
import { envInteger } from './env-integer.js';
import { parseStoreLocation, type StoreLocation, StoreUrlError } from './store-location.js';

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

const DEFAULT_CONFIG_FILE = 'storyflow.config.yaml';

/**
 * @example
 * const config = loadConfig({ env: process.env, cwd: process.cwd() });
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? {};
  const cwd = options.cwd ?? '.';
  const { file, path } = readConfigFile(env, cwd);

  const port =
    envInteger(env, 'STORYFLOW_PORT', { min: 0, max: 65535, what: 'a port number' }) ??
    file.server?.port;
  const logLevel = env.STORYFLOW_LOG_LEVEL ?? file.logLevel ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('STORYFLOW_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const database = storeLocation(
    env.STORYFLOW_DATABASE_URL === undefined ? 'database.url' : 'STORYFLOW_DATABASE_URL',
    env.STORYFLOW_DATABASE_URL ?? file.database?.url ?? 'sqlite:./data/storyflow.db',
  );

  const workflow = buildWorkflow(file.workflow);
  const perToken = rateLimit(
    env.STORYFLOW_RATE_LIMIT === undefined ? 'rateLimits.perToken' : 'STORYFLOW_RATE_LIMIT',
    env.STORYFLOW_RATE_LIMIT ?? file.rateLimits?.perToken ?? '600/minute',
  );
  const forges = buildForges(file.forges, env, path === null ? cwd : dirname(path), path);
  return Object.freeze({
    trustProxy: file.server?.trustProxy ?? false,
    adminTokens: (env.STORYFLOW_ADMIN_TOKEN ?? '')
      .split(',')
      .map((token) => token.trim())
      .filter((token) => token !== ''),
    metricsPublic: file.metrics?.public ?? true,
    rateLimits: Object.freeze({
      perToken,
      perAddress: rateLimit(
        'rateLimits.perAddress',
        file.rateLimits?.perAddress ?? `${perToken.limit * 2}/${perToken.windowMs}ms`,
      ),
      authFailures: rateLimit(
        'rateLimits.authFailures',
        file.rateLimits?.authFailures ?? '30/minute',
      ),
      webhookRefusals: rateLimit(
        env.STORYFLOW_WEBHOOK_REFUSAL_RATE_LIMIT === undefined
          ? 'rateLimits.webhookRefusals'
          : 'STORYFLOW_WEBHOOK_REFUSAL_RATE_LIMIT',
        env.STORYFLOW_WEBHOOK_REFUSAL_RATE_LIMIT ?? file.rateLimits?.webhookRefusals ?? '60/minute',
      ),
    }),
    redisUrl: env.STORYFLOW_REDIS_URL ?? file.redis?.url ?? null,
    oidc: buildOidc(file.oidc),
    webhooks: buildWebhooks(env, file.webhooks),
    inbox: buildInbox(env, file.inbox),
    idempotency: Object.freeze({
      ttlHours: file.idempotency?.ttlHours ?? 24,
      inFlightTimeoutSeconds: file.idempotency?.inFlightTimeoutSeconds ?? 10,
      cleanupIntervalSeconds: file.idempotency?.cleanupIntervalSeconds ?? 600,
    }),
    batch: Object.freeze({ maxBodyBytes: file.batch?.maxBodyBytes ?? 16 * 1024 * 1024 }),
    host: env.STORYFLOW_HOST ?? file.server?.host ?? '0.0.0.0',
    port: port ?? 8080,
    database,
    writeLockTimeoutMs: Math.round(
      1000 *
        positiveSeconds(
          env,
          'STORYFLOW_WRITE_LOCK_TIMEOUT_SECONDS',
          file.database?.writeLockTimeoutSeconds ?? 5,
        ),
    ),
    shutdownGraceMs: Math.round(
      1000 *
        positiveSeconds(
          env,
          'STORYFLOW_SHUTDOWN_GRACE_SECONDS',
          file.server?.shutdownGraceSeconds ?? 10,
        ),
    ),
    publicUrl: publicUrl(
      env.STORYFLOW_PUBLIC_URL === undefined ? 'server.publicUrl' : 'STORYFLOW_PUBLIC_URL',
      env.STORYFLOW_PUBLIC_URL ?? file.server?.publicUrl,
    ),
    logLevel: logLevel as Config['logLevel'],
    storiesBodyLimit: file.limits?.storiesBodyBytes ?? 1024 * 1024,
    workflow,
    storyBookkeeping: Object.freeze({
      ...DEFAULT_STORY_BOOKKEEPING,
      ...file.stories?.bookkeeping,
    }),
    automation: buildAutomation(file.automation, file.references, workflow, path),
    people: buildPeople(file.people, file.automation?.smartCommands?.roles, path),
    gates: buildGates(file.gates, workflow, path),
    forges,
    reconcile: Object.freeze({
      enabled:
        file.reconcile?.enabled ?? forges.some((forge) => RECONCILED_PROVIDERS.has(forge.provider)),
      intervalMinutes: file.reconcile?.intervalMinutes ?? 10,
      lookbackHours: file.reconcile?.lookbackHours ?? 24,
    }),
    repositories: buildRepositories(
      file.repositories,
      env,
      path === null ? cwd : dirname(path),
      path,
    ),
    git: buildGit(env, file.git, database, cwd),
    configFile: path,
  });
}

/** server.publicUrl: an http(s) URL with no query or fragment, kept without a trailing slash. */
function publicUrl(key: string, value: string | undefined): string | null {
  if (value === undefined || value.trim() === '') return null;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ConfigError(key, 'must be an http(s) URL, e.g. https://storyflow.example.com');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(key, 'must be an http(s) URL, e.g. https://storyflow.example.com');
  if (url.search !== '' || url.hash !== '' || /[()]/.test(url.href))
    throw new ConfigError(key, 'must have no query, fragment or parentheses');
  return url.href.replace(/\/+$/, '');
}

/** The database URL, parsed here once for every part of storyflow (the one parser). */
function storeLocation(key: string, url: string): StoreLocation {
  try {
    return Object.freeze(parseStoreLocation(url));
  } catch (error) {
    if (error instanceof StoreUrlError) throw new ConfigError(key, error.message);
    throw error;
  }
}

function readConfigFile(
  env: Record<string, string | undefined>,
  cwd: string,
): { file: ConfigFile; path: string | null } {
  const explicit = env.STORYFLOW_CONFIG;
  const path = resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(path)) {
    if (explicit !== undefined) throw new ConfigError('STORYFLOW_CONFIG', `no file at ${path}`);
    return { file: {}, path: null };
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8')) ?? {};
  } catch (error) {
    throw new ConfigError(path, `not valid YAML: ${(error as Error).message}`);
  }
  const first = Value.Errors(ConfigFileSchema, raw).First();
  if (first !== undefined) {
    const key = first.path.replace(/^\//, '').replaceAll('/', '.') || '(root)';
    const message =
      first.schema === ConfigFileSchema || first.message.includes('additional')
        ? unknownKeyMessage(raw, first.path)
        : first.message.toLowerCase();
    throw new ConfigError(`${path}: ${key}`, message);
  }
  return { file: raw as ConfigFile, path };
}

function unknownKeyMessage(_raw: unknown, pointer: string): string {
  return pointer === '' ? 'is not a mapping' : 'is not a known setting';
}

/** A number of seconds from `variable` when set (else `fallback`): positive, at most a day. */
function positiveSeconds(
  env: Record<string, string | undefined>,
  variable: string,
  fallback: number,
): number {
  const raw = env[variable];
  if (raw === undefined) return fallback;
  const seconds = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) {
    throw new ConfigError(
      variable,
      `must be a number of seconds above 0 (e.g. 5 or 0.5), got "${raw}"`,
    );
  }
  return seconds;
}

function rateLimit(key: string, spec: string): RateLimitPolicy {
  try {
    return parseRateLimit(spec);
  } catch (error) {
    throw new ConfigError(key, (error as Error).message);
  }
}
