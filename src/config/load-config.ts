// Reads storyflow.config.yaml (or STORYFLOW_CONFIG) and STORYFLOW_* variables, validates them
// once, and returns one frozen Config. Nothing else in storyflow reads process.env.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { policyPinsRepository } from '../domain/auth/oidc-policy.js';
import { isScope } from '../domain/auth/scopes.js';
import type { Person } from '../domain/people/person.js';
import { validatePeople } from '../domain/people/validate-people.js';
import { parseRateLimit, type RateLimitPolicy } from '../domain/rate-limit/parse-rate-limit.js';
import { DEFAULT_REFERENCE_CONFIG } from '../domain/references/reference-patterns.js';
import { validateRules } from '../domain/rules/validate-rules.js';
import { DEFAULT_STORY_BOOKKEEPING } from '../domain/story/story-bookkeeping.js';
import {
  DEFAULT_WORKFLOW,
  freezeWorkflow,
  validateWorkflow,
  type Workflow,
} from '../domain/story/workflow.js';
import { buildForges, RECONCILED_PROVIDERS } from './build-forges.js';
import { buildGit, buildRepositories } from './build-repositories.js';
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

/** Seconds before each retry: 10 attempts over about a day. */
export const DEFAULT_RETRY_SCHEDULE = [60, 300, 900, 1800, 3600, 7200, 14400, 21600, 36000];

function secretList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret !== '');
}

function buildWebhooks(
  env: Record<string, string | undefined>,
  section: ConfigFile['webhooks'],
): Config['webhooks'] {
  return Object.freeze({
    maxBodyBytes: section?.maxBodyBytes ?? 25 * 1024 * 1024,
    github: Object.freeze({
      secrets: [
        ...secretList(env.STORYFLOW_GITHUB_WEBHOOK_SECRET),
        ...(section?.github?.secrets ?? []),
      ],
      repositories: section?.github?.repositories ?? [],
    }),
    gitlab: Object.freeze({
      tokens: [
        ...secretList(env.STORYFLOW_GITLAB_WEBHOOK_TOKEN),
        ...(section?.gitlab?.tokens ?? []),
      ],
      signingSecrets: [
        ...secretList(env.STORYFLOW_GITLAB_WEBHOOK_SIGNING_SECRET),
        ...(section?.gitlab?.signingSecrets ?? []),
      ],
      repositories: (section?.gitlab?.repositories ?? []).map((entry) => ({
        repository: entry.repository,
        tokens: entry.tokens ?? [],
        signingSecrets: entry.signingSecrets ?? [],
      })),
      timestampToleranceSeconds: section?.gitlab?.timestampToleranceSeconds ?? 300,
    }),
    gitea: Object.freeze({
      secrets: [
        ...secretList(env.STORYFLOW_GITEA_WEBHOOK_SECRET),
        ...(section?.gitea?.secrets ?? []),
      ],
      repositories: section?.gitea?.repositories ?? [],
    }),
    bitbucket: Object.freeze({
      secrets: [
        ...secretList(env.STORYFLOW_BITBUCKET_WEBHOOK_SECRET),
        ...(section?.bitbucket?.secrets ?? []),
      ],
      repositories: section?.bitbucket?.repositories ?? [],
    }),
    azureDevops: Object.freeze({
      secrets: [
        ...secretList(env.STORYFLOW_AZURE_DEVOPS_WEBHOOK_SECRET),
        ...(section?.azureDevops?.secrets ?? []),
      ],
      header: azureDevopsHeader(env, section?.azureDevops?.header),
    }),
  });
}

/**
 * The Azure DevOps header secret: its name from the file (default X-Storyflow-Webhook-Secret),
 * its values from STORYFLOW_AZURE_DEVOPS_WEBHOOK_HEADER_SECRET plus the file; null when none.
 */
function azureDevopsHeader(
  env: Record<string, string | undefined>,
  header: { name: string; secrets?: string[] } | undefined,
): NonNullable<Config['webhooks']['azureDevops']>['header'] {
  const secrets = [
    ...secretList(env.STORYFLOW_AZURE_DEVOPS_WEBHOOK_HEADER_SECRET),
    ...(header?.secrets ?? []),
  ];
  if (secrets.length === 0) return null;
  return Object.freeze({
    name: (header?.name ?? 'X-Storyflow-Webhook-Secret').toLowerCase(),
    secrets,
  });
}

function buildInbox(
  env: Record<string, string | undefined>,
  section: ConfigFile['inbox'],
): Config['inbox'] {
  const max = envInteger(env, 'STORYFLOW_INBOX_MAX', { min: 1 }) ?? section?.max ?? 1_000_000;
  const workersVariable = env.STORYFLOW_WORKERS;
  if (workersVariable !== undefined && !['0', '1', 'true', 'false'].includes(workersVariable)) {
    throw new ConfigError('STORYFLOW_WORKERS', 'must be 1/true (run inbox workers) or 0/false');
  }
  const workerNiceness =
    envInteger(env, 'STORYFLOW_WORKER_NICENESS', { min: 0, max: 19 }) ??
    section?.workerNiceness ??
    10;
  return Object.freeze({
    max,
    workerNiceness,
    leaseMs: Math.round((section?.leaseSeconds ?? 30) * 1000),
    retrySchedule: section?.retrySchedule ?? DEFAULT_RETRY_SCHEDULE,
    batchSize: section?.batchSize ?? 50,
    pollMs: section?.pollMs ?? 200,
    workers:
      workersVariable === undefined
        ? (section?.workers ?? true)
        : ['1', 'true'].includes(workersVariable),
  });
}

function buildAutomation(
  section: ConfigFile['automation'],
  references: ConfigFile['references'],
  workflow: Workflow,
  /** The config file the rules came from, named in errors like every other file error. */
  file: string | null,
): Config['automation'] {
  const { rules, issues } = validateRules(section?.rules ?? [], workflow);
  const first = issues[0];
  if (first !== undefined) {
    throw new ConfigError(
      `${file === null ? '' : `${file}: `}automation.${first.path}`,
      `${first.rule === null ? '' : `rule "${first.rule}": `}${first.message}`,
    );
  }
  return Object.freeze({
    defaultRules: section?.defaultRules ?? true,
    rules,
    defaultBranches: section?.defaultBranches ?? ['main', 'master'],
    newStoryPrefix: section?.newStoryPrefix ?? 'STORY',
    pullRequests: section?.pullRequests ?? 'last',
    smartCommands: Object.freeze({ roles: section?.smartCommands?.roles ?? null }),
    references: Object.freeze({
      ...DEFAULT_REFERENCE_CONFIG,
      ...(references?.prefixes === undefined ? {} : { prefixes: references.prefixes }),
      ...(references?.closingWords === undefined
        ? {}
        : { closingWords: references.closingWords.map((word) => word.toLowerCase()) }),
      ...(references?.trailers === undefined ? {} : { trailers: references.trailers }),
      ...(references?.ignoredPrefixes === undefined
        ? {}
        : { ignoredPrefixes: references.ignoredPrefixes }),
    }),
  });
}

/** The `people:` section, checked with the roles smart commands allow. */
function buildPeople(
  section: ConfigFile['people'],
  smartCommandRoles: readonly string[] | undefined,
  file: string | null,
): Config['people'] {
  const people: Person[] = (section ?? []).map((person) =>
    Object.freeze({
      name: person.name,
      identities: Object.freeze([...person.identities]),
      roles: Object.freeze([...(person.roles ?? [])]),
    }),
  );
  const first = validatePeople(people, smartCommandRoles ?? null)[0];
  if (first !== undefined) {
    throw new ConfigError(`${file === null ? '' : `${file}: `}${first.key}`, first.message);
  }
  return Object.freeze(people);
}

/**
 * `forges:`: GitHub through a token from a variable or a file (a relative path is from the
 * config file's directory). Refused, naming the key: another provider or a GitHub App (not built
 * yet), both or neither of owner and repository, a token that cannot be read.
 */
/** `gates:`: each environment's required statuses, each a status of the workflow. */
function buildGates(
  section: ConfigFile['gates'],
  workflow: Workflow,
  file: string | null,
): Config['gates'] {
  return Object.freeze(
    Object.entries(section ?? {}).map(([environment, gate]) => {
      if (environment.length > 256)
        throw new ConfigError(
          `${file === null ? '' : `${file}: `}gates`,
          'an environment name is longer than 256 characters',
        );
      gate.require.forEach((status, index) => {
        if (!workflow.statuses.includes(status)) {
          throw new ConfigError(
            `${file === null ? '' : `${file}: `}gates.${environment}.require[${index}]`,
            `"${status}" is not a status of the workflow (${workflow.statuses.join(', ')})`,
          );
        }
      });
      return Object.freeze({ environment, require: Object.freeze([...new Set(gate.require)]) });
    }),
  );
}

function rateLimit(key: string, spec: string): RateLimitPolicy {
  try {
    return parseRateLimit(spec);
  } catch (error) {
    throw new ConfigError(key, (error as Error).message);
  }
}

function buildOidc(section: ConfigFile['oidc']): Config['oidc'] {
  const issuers = (section?.issuers ?? []).map((issuer) => ({
    issuer: issuer.issuer,
    audience: typeof issuer.audience === 'string' ? [issuer.audience] : issuer.audience,
    ...(issuer.jwksUri === undefined ? {} : { jwksUri: issuer.jwksUri }),
  }));
  const policies = (section?.policies ?? []).map((policy, index) => {
    if (!issuers.some((issuer) => issuer.issuer === policy.issuer)) {
      throw new ConfigError(
        `oidc.policies[${index}].issuer`,
        `"${policy.issuer}" is not one of oidc.issuers`,
      );
    }
    const claims = Object.fromEntries(
      Object.entries(policy.claims).map(([claim, value]) => [claim, String(value)]),
    );
    if (!policyPinsRepository(claims)) {
      throw new ConfigError(
        `oidc.policies[${index}].claims`,
        'must pin a repository or owner (repository, repository_owner, project_path, namespace_path, ' +
          'repository_id or project_id without a wildcard owner); otherwise every pipeline of the issuer is trusted',
      );
    }
    policy.scopes.forEach((scope, scopeIndex) => {
      if (!isScope(scope)) {
        throw new ConfigError(
          `oidc.policies[${index}].scopes[${scopeIndex}]`,
          `"${scope}" is not a scope`,
        );
      }
    });
    return {
      name: policy.name ?? `policy ${index + 1}`,
      issuer: policy.issuer,
      claims: Object.fromEntries(
        Object.entries(policy.claims).map(([claim, value]) => [claim, String(value)]),
      ),
      scopes: policy.scopes,
      ...(policy.repositories === undefined ? {} : { repositories: policy.repositories }),
    };
  });
  return Object.freeze({ issuers, policies });
}

function buildWorkflow(section: ConfigFile['workflow']): Workflow {
  if (section === undefined) return DEFAULT_WORKFLOW;
  const statuses = section.statuses ?? [...DEFAULT_WORKFLOW.statuses];
  const workflow: Workflow = {
    statuses,
    initial: section.initial ?? statuses[0] ?? DEFAULT_WORKFLOW.initial,
    order:
      section.order ?? (section.statuses === undefined ? [...DEFAULT_WORKFLOW.order] : statuses),
    transitions:
      section.transitions ??
      (section.statuses === undefined
        ? DEFAULT_WORKFLOW.transitions
        : Object.fromEntries(statuses.map((s) => [s, statuses.filter((t) => t !== s)]))),
  };
  const issues = validateWorkflow(workflow);
  const first = issues[0];
  if (first !== undefined) throw new ConfigError(first.key, first.message);
  return freezeWorkflow(workflow);
}
