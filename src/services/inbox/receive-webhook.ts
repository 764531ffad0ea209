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
  | {
      accepted: true;
      delivery: NewDelivery;
      /**
       * Whether the body was parsed already (to find a repository's secrets). When not, the
       * inbox checks it is JSON and reads its repository before storing it (see
       * inspectDelivery), off the request's path.
       */
      inspected: boolean;
    }
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
  const signature = header(request.headers, 'x-hub-signature-256');
  // The global secrets first: nothing in the body is read before a signature matched.
  let verified = verifyGithubSignature(config.github.secrets, request.rawBody, signature);
  let inspected: Inspection | undefined;
  if (!verified) {
    // Per-repository secrets: the body names the repository whose secrets to try.
    inspected = inspectPayload('github', request.rawBody, header(request.headers, 'content-type'));
    const repository = inspected?.repository ?? null;
    const secrets = secretsFor(config.github.repositories, repository, (entry) => entry.secrets);
    if (config.github.secrets.length === 0 && secrets.length === 0) {
      return refuse(
        401,
        'not-configured',
        'No GitHub webhook secret is configured (STORYFLOW_GITHUB_WEBHOOK_SECRET)',
        repository,
      );
    }
    verified = verifyGithubSignature(secrets, request.rawBody, signature);
    if (!verified) {
      return refuse(
        401,
        'bad-signature',
        'X-Hub-Signature-256 does not match the body',
        repository,
      );
    }
    if (inspected === undefined) return refuse(400, 'malformed', 'The body is not JSON', null);
  }
  if (event === undefined) {
    return refuse(400, 'no-event', 'X-GitHub-Event is missing', inspected?.repository ?? null);
  }
  const deliveryId = header(request.headers, 'x-github-delivery') ?? bodyDigest(request.rawBody);
  return accept('github', event, deliveryId, inspected, request);
}

export function receiveGitlabWebhook(
  config: Config['webhooks'],
  request: WebhookRequest,
): WebhookVerdict {
  const event = header(request.headers, 'x-gitlab-event');
  // The global tokens and signing secrets first: the body is read only to find a repository's.
  let inspected: Inspection | undefined;
  let result = verifyGitlab(config, config.gitlab.tokens, config.gitlab.signingSecrets, request);
  if (result !== 'verified') {
    inspected = inspectPayload('gitlab', request.rawBody, header(request.headers, 'content-type'));
    const repository = inspected?.repository ?? null;
    const entries = config.gitlab.repositories;
    const tokens = secretsFor(entries, repository, (entry) => entry.tokens);
    const signingSecrets = secretsFor(entries, repository, (entry) => entry.signingSecrets);
    const configured =
      config.gitlab.tokens.length + config.gitlab.signingSecrets.length > 0 ||
      tokens.length + signingSecrets.length > 0;
    if (!configured) {
      return refuse(
        401,
        'not-configured',
        'No GitLab webhook token is configured (STORYFLOW_GITLAB_WEBHOOK_TOKEN)',
        repository,
      );
    }
    // A repository's own secrets, with the global ones too (as a rotation may mix them).
    result = verifyGitlab(
      config,
      [...config.gitlab.tokens, ...tokens],
      [...config.gitlab.signingSecrets, ...signingSecrets],
      request,
    );
    if (result === 'bad-token') {
      return refuse(401, 'bad-token', 'X-Gitlab-Token does not match', repository);
    }
    if (result !== 'verified') {
      return refuse(401, 'bad-signature', `webhook-signature: ${result.reason}`, repository);
    }
    if (inspected === undefined) return refuse(400, 'malformed', 'The body is not JSON', null);
  }
  if (event === undefined) {
    return refuse(400, 'no-event', 'X-Gitlab-Event is missing', inspected?.repository ?? null);
  }
  // Idempotency-Key is stable across GitLab's own retries (17.4+); the event UUID otherwise.
  const deliveryId =
    header(request.headers, 'idempotency-key') ??
    header(request.headers, 'x-gitlab-event-uuid') ??
    header(request.headers, 'webhook-id') ??
    bodyDigest(request.rawBody);
  return accept('gitlab', event, deliveryId, inspected, request);
}

/** A Standard Webhooks signature when one is sent and secrets exist, X-Gitlab-Token otherwise. */
function verifyGitlab(
  config: Config['webhooks'],
  tokens: readonly string[],
  signingSecrets: readonly string[],
  request: WebhookRequest,
): 'verified' | 'bad-token' | { reason: string } {
  const signature = header(request.headers, 'webhook-signature');
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
    return result.ok ? 'verified' : { reason: result.reason };
  }
  return verifyGitlabToken(tokens, header(request.headers, 'x-gitlab-token'))
    ? 'verified'
    : 'bad-token';
}

function accept(
  provider: 'github' | 'gitlab',
  event: string,
  deliveryId: string,
  inspected: Inspection | undefined,
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
      repository: inspected?.repository ?? null,
    },
    inspected: inspected !== undefined,
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

export interface Inspection {
  repository: string | null;
}

/** The repository a payload names; undefined when the body is not JSON. */
export function inspectPayload(
  provider: 'github' | 'gitlab',
  body: Buffer | string,
  contentType: string | undefined,
): Inspection | undefined {
  const payload = parsePayload(body, contentType);
  if (payload === undefined) return undefined;
  const path =
    provider === 'github' ? ['repository', 'full_name'] : ['project', 'path_with_namespace'];
  return { repository: stringAt(payload, path) };
}

/** Inspects a delivery stored without inspection: its repository, or undefined if not JSON. */
export function inspectDelivery(delivery: NewDelivery): Inspection | undefined {
  const provider = delivery.provider === 'gitlab' ? 'gitlab' : 'github';
  return inspectPayload(provider, delivery.body, delivery.headers['content-type']);
}

/** JSON bodies, and GitHub's form-encoded `payload=` variant; undefined when unparseable. */
export function parsePayload(rawBody: Buffer | string, contentType: string | undefined): unknown {
  try {
    const text = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
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
