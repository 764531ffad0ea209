// Turns one webhook request into a delivery to store, or the reason to refuse it. Signatures
// are checked over the raw bytes before anything else is trusted.
import { createHash } from 'node:crypto';
import type { Config } from '../../config/config.js';
import { matchRepositoryGlob } from '../../domain/auth/match-repository-glob.js';
import { verifyGithubSignature } from '../../providers/github/verify-github-signature.js';
import { verifyGitlabToken } from '../../providers/gitlab/verify-gitlab-token.js';
import { verifyStandardWebhook } from '../../providers/gitlab/verify-standard-webhook.js';
import type { NewDelivery } from '../../storage/delivery-repository.js';

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  sourceAddress: string;
  receivedAt: Date;
  /** Our id for the delivery, should it be stored. */
  newId: string;
}

export type WebhookVerdict =
  | { accepted: true; delivery: NewDelivery }
  | {
      accepted: false;
      status: 400 | 401;
      reason: string;
      detail: string;
      repository: string | null;
    };

/** Headers kept with a delivery (never the signature or token). */
const KEPT_HEADERS = [
  'content-type',
  'user-agent',
  'x-github-event',
  'x-github-delivery',
  'x-github-hook-id',
  'x-github-hook-installation-target-id',
  'x-github-hook-installation-target-type',
  'x-gitlab-event',
  'x-gitlab-event-uuid',
  'x-gitlab-webhook-uuid',
  'x-gitlab-instance',
  'idempotency-key',
  'webhook-id',
  'webhook-timestamp',
];

export function receiveGithubWebhook(
  config: Config['webhooks'],
  request: WebhookRequest,
): WebhookVerdict {
  const event = header(request.headers, 'x-github-event');
  const payload = parsePayload(request.rawBody, header(request.headers, 'content-type'));
  const repository = stringAt(payload, ['repository', 'full_name']);
  const secrets = [
    ...config.github.secrets,
    ...secretsFor(config.github.repositories, repository, (entry) => entry.secrets),
  ];
  if (secrets.length === 0) {
    return refuse(
      401,
      'not-configured',
      'No GitHub webhook secret is configured (STORYFLOW_GITHUB_WEBHOOK_SECRET)',
      repository,
    );
  }
  if (
    !verifyGithubSignature(secrets, request.rawBody, header(request.headers, 'x-hub-signature-256'))
  ) {
    return refuse(401, 'bad-signature', 'X-Hub-Signature-256 does not match the body', repository);
  }
  if (payload === undefined) return refuse(400, 'malformed', 'The body is not JSON', repository);
  if (event === undefined) return refuse(400, 'no-event', 'X-GitHub-Event is missing', repository);
  const deliveryId = header(request.headers, 'x-github-delivery') ?? bodyDigest(request.rawBody);
  return accept('github', event, deliveryId, repository, request);
}

export function receiveGitlabWebhook(
  config: Config['webhooks'],
  request: WebhookRequest,
): WebhookVerdict {
  const event = header(request.headers, 'x-gitlab-event');
  const payload = parsePayload(request.rawBody, header(request.headers, 'content-type'));
  const repository = stringAt(payload, ['project', 'path_with_namespace']);
  const repositoryConfig = config.gitlab.repositories;
  const tokens = [
    ...config.gitlab.tokens,
    ...secretsFor(repositoryConfig, repository, (entry) => entry.tokens),
  ];
  const signingSecrets = [
    ...config.gitlab.signingSecrets,
    ...secretsFor(repositoryConfig, repository, (entry) => entry.signingSecrets),
  ];
  if (tokens.length === 0 && signingSecrets.length === 0) {
    return refuse(
      401,
      'not-configured',
      'No GitLab webhook token is configured (STORYFLOW_GITLAB_WEBHOOK_TOKEN)',
      repository,
    );
  }
  const signature = header(request.headers, 'webhook-signature');
  let verified = false;
  if (signature !== undefined && signingSecrets.length > 0) {
    const result = verifyStandardWebhook(
      signingSecrets,
      request.rawBody,
      {
        id: header(request.headers, 'webhook-id'),
        timestamp: header(request.headers, 'webhook-timestamp'),
        signature,
      },
      Math.floor(request.receivedAt.getTime() / 1000),
      config.gitlab.timestampToleranceSeconds,
    );
    if (!result.ok)
      return refuse(401, 'bad-signature', `webhook-signature: ${result.reason}`, repository);
    verified = true;
  } else {
    verified = verifyGitlabToken(tokens, header(request.headers, 'x-gitlab-token'));
  }
  if (!verified) return refuse(401, 'bad-token', 'X-Gitlab-Token does not match', repository);
  if (payload === undefined) return refuse(400, 'malformed', 'The body is not JSON', repository);
  if (event === undefined) return refuse(400, 'no-event', 'X-Gitlab-Event is missing', repository);
  // Idempotency-Key is stable across GitLab's own retries (17.4+); the event UUID otherwise.
  const deliveryId =
    header(request.headers, 'idempotency-key') ??
    header(request.headers, 'x-gitlab-event-uuid') ??
    header(request.headers, 'webhook-id') ??
    bodyDigest(request.rawBody);
  return accept('gitlab', event, deliveryId, repository, request);
}

function accept(
  provider: string,
  event: string,
  deliveryId: string,
  repository: string | null,
  request: WebhookRequest,
): WebhookVerdict {
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = header(request.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  return {
    accepted: true,
    delivery: {
      id: request.newId,
      provider,
      deliveryId,
      event,
      headers,
      body: request.rawBody.toString('utf8'),
      receivedAt: request.receivedAt.toISOString(),
      sourceAddress: request.sourceAddress,
      repository,
    },
  };
}

function refuse(
  status: 400 | 401,
  reason: string,
  detail: string,
  repository: string | null,
): WebhookVerdict {
  return { accepted: false, status, reason, detail, repository };
}

function secretsFor<T extends { repository: string }>(
  entries: readonly T[],
  repository: string | null,
  pick: (entry: T) => readonly string[],
): string[] {
  if (repository === null || entries.length === 0) return [];
  return entries.filter((entry) => matchRepositoryGlob(entry.repository, repository)).flatMap(pick);
}

function header(headers: WebhookRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  const single = Array.isArray(value) ? value[0] : value;
  return single === undefined || single === '' ? undefined : single;
}

/** JSON bodies, and GitHub's form-encoded `payload=` variant; undefined when unparseable. */
export function parsePayload(rawBody: Buffer, contentType: string | undefined): unknown {
  try {
    const text = rawBody.toString('utf8');
    if (contentType?.startsWith('application/x-www-form-urlencoded')) {
      const payload = new URLSearchParams(text).get('payload');
      return payload === null ? undefined : (JSON.parse(payload) as unknown);
    }
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function stringAt(value: unknown, path: string[]): string | null {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return null;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'string' ? current : null;
}

/** A stable id for a provider that sent none: the same body is the same delivery. */
function bodyDigest(rawBody: Buffer): string {
  return `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
}
