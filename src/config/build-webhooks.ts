// The `webhooks:` and `inbox:` sections with their STORYFLOW_* variables: each forge's secrets
// (variable first, then the file), the inbox's bounds and workers.
import type { Config } from './config.js';
import { ConfigError } from './config-error.js';
import type { ConfigFile } from './config-file-schema.js';
import { envInteger } from './env-integer.js';

/** Seconds before each retry: 10 attempts over about a day. */
export const DEFAULT_RETRY_SCHEDULE = [60, 300, 900, 1800, 3600, 7200, 14400, 21600, 36000];

export function secretList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret !== '');
}

export function buildWebhooks(
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
export function azureDevopsHeader(
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

export function buildInbox(
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
