// Turns one webhook request into a delivery to store, or the reason to refuse it. Signatures
// are checked over the raw bytes before anything else is trusted: no unverified body is parsed,
// and a refusal carries only fixed words and sentences, never a value from the request.
import { createHash } from 'node:crypto';
import type { Config } from '../../config/config.js';
import { matchRepositoryGlob } from '../../domain/auth/match-repository-glob.js';
import { invalidUtf8Offset } from '../../domain/bytes/utf8.js';
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
       * Whether the body was parsed already (to check a repository's own secret covers it).
       * When not, the inbox checks it is JSON and reads its repository before storing it (see
       * inspectDelivery), off the request's path.
       */
      inspected: boolean;
    }
  | {
      accepted: false;
      /** 401: not verified. 400: verified, but the body or the event header is unusable. */
      status: 400 | 401;
      /** One of a fixed set of words (`bad-signature`, `missing-signature`, …). */
      reason: string;
      /** A fixed sentence, never a value taken from the request. */
      detail: string;
      /** Problem extensions: `byteOffset` for a body that is not UTF-8. */
      extensions?: Record<string, unknown>;
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

const BAD_SIGNATURE_GITHUB = refuse(
  401,
  'bad-signature',
  'X-Hub-Signature-256 does not match the body',
);
const BAD_SIGNATURE_GITLAB = refuse(
  401,
  'bad-signature',
  'webhook-signature: no matching signature',
);
const BAD_TOKEN = refuse(401, 'bad-token', 'X-Gitlab-Token does not match');

/**
 * A GitHub request: X-Hub-Signature-256 is checked against the global secrets, then against
 * each repository's own (one HMAC of the body per secret). Nothing in the body is read before a
 * signature matched: a repository's own secret is tried whatever the body says, and only once
 * it matched is the (now authentic) body parsed, to check that it names a repository the
 * secret is for.
 */
export function receiveGithubWebhook(
  config: Config['webhooks'],
  request: WebhookRequest,
): WebhookVerdict {
  const event = header(request.headers, 'x-github-event');
  const signature = header(request.headers, 'x-hub-signature-256');
  const entries = config.github.repositories;
  const early = githubHeaderRefusal(config, request.headers);
  if (early !== undefined) return early;
  if (signature === undefined) return BAD_SIGNATURE_GITHUB; // (ruled out above; for the types)
  let inspected: Inspection | undefined;
  if (!verifyGithubSignature(config.github.secrets, request.rawBody, signature)) {
    const matched = entries.filter((entry) =>
      verifyGithubSignature(entry.secrets, request.rawBody, signature),
    );
    if (matched.length === 0) {
      return BAD_SIGNATURE_GITHUB;
    }
    const checked = checkRepository('github', request, matched, BAD_SIGNATURE_GITHUB);
    if ('refusal' in checked) return checked.refusal;
    inspected = checked.inspected;
  }
  const unreadable = utf8Refusal(request.rawBody);
  if (unreadable !== undefined) return unreadable;
  if (event === undefined) return refuse(400, 'no-event', 'X-GitHub-Event is missing');
  const deliveryId = header(request.headers, 'x-github-delivery') ?? bodyDigest(request.rawBody);
  return accept('github', event, deliveryId, inspected, request);
}

/**
 * A GitLab request. Where a signing secret applies (a global one, or one of the repository's),
 * only a Standard Webhooks signature is accepted and the delivery id is the signed `webhook-id`;
 * otherwise X-Gitlab-Token. As for GitHub, a repository's own secrets are tried without reading
 * the body, which is parsed only once it is authentic.
 */
export function receiveGitlabWebhook(
  config: Config['webhooks'],
  request: WebhookRequest,
): WebhookVerdict {
  const event = header(request.headers, 'x-gitlab-event');
  const { tokens, signingSecrets, repositories: entries } = config.gitlab;
  const early = gitlabHeaderRefusal(config, request.headers);
  if (early !== undefined) return early;
  const signingEntries = entries.filter((entry) => entry.signingSecrets.length > 0);
  const signature = header(request.headers, 'webhook-signature');
  let inspected: Inspection | undefined;
  let signed = false;
  if (signature !== undefined && signingSecrets.length + signingEntries.length > 0) {
    // Signed: the signature decides, X-Gitlab-Token is not looked at.
    const global =
      signingSecrets.length > 0 ? verifyStandard(config, signingSecrets, request) : undefined;
    if (global?.ok !== true) {
      const results = signingEntries.map((entry) => ({
        entry,
        result: verifyStandard(config, entry.signingSecrets, request),
      }));
      const matched = results.filter(({ result }) => result.ok).map(({ entry }) => entry);
      if (matched.length === 0) {
        const failure = global ?? results[0]?.result;
        const why = failure !== undefined && !failure.ok ? failure.reason : 'no matching signature';
        return refuse(401, 'bad-signature', `webhook-signature: ${why}`);
      }
      const checked = checkRepository('gitlab', request, matched, BAD_SIGNATURE_GITLAB);
      if ('refusal' in checked) return checked.refusal;
      inspected = checked.inspected;
    }
    signed = true;
  } else {
    // gitlabHeaderRefusal made sure a token is there and no global signing secret wants more.
    const token = header(request.headers, 'x-gitlab-token') ?? '';
    const matched = verifyGitlabToken(tokens, token)
      ? undefined
      : entries.filter((entry) => verifyGitlabToken(entry.tokens, token));
    if (matched !== undefined && matched.length === 0) {
      return BAD_TOKEN;
    }
    if (matched !== undefined || signingEntries.length > 0) {
      // Which repository the (authentic) body is for decides whether this token covers it,
      // and whether that repository takes signed deliveries only.
      const checked = checkRepository('gitlab', request, matched, BAD_TOKEN);
      if ('refusal' in checked) return checked.refusal;
      inspected = checked.inspected;
      const repository = inspected.repository;
      if (
        repository !== null &&
        signingEntries.some((entry) => matchRepositoryGlob(entry.repository, repository))
      ) {
        return refuse(
          401,
          'missing-signature',
          'webhook-signature is missing: this repository has a signing secret, so X-Gitlab-Token alone is not accepted',
        );
      }
    }
  }
  const unreadable = utf8Refusal(request.rawBody);
  if (unreadable !== undefined) return unreadable;
  if (event === undefined) return refuse(400, 'no-event', 'X-Gitlab-Event is missing');
  // Signed: the signed webhook-id, so no unsigned header can make a replay a new delivery.
  // Otherwise Idempotency-Key (stable across GitLab's own retries, 17.4+), the event UUID, ….
  const deliveryId = signed
    ? (header(request.headers, 'webhook-id') ?? bodyDigest(request.rawBody))
    : (header(request.headers, 'idempotency-key') ??
      header(request.headers, 'x-gitlab-event-uuid') ??
      header(request.headers, 'webhook-id') ??
      bodyDigest(request.rawBody));
  return accept('gitlab', event, deliveryId, inspected, request);
}

/**
 * The refusal a GitHub request gets from its headers alone (no secret configured, no
 * X-Hub-Signature-256), so that its body need not even be read; undefined when the body decides.
 */
export function githubHeaderRefusal(
  config: Config['webhooks'],
  headers: WebhookRequest['headers'],
): WebhookVerdict | undefined {
  if (config.github.secrets.length === 0 && config.github.repositories.length === 0) {
    return refuse(
      401,
      'not-configured',
      'No GitHub webhook secret is configured (STORYFLOW_GITHUB_WEBHOOK_SECRET)',
    );
  }
  if (header(headers, 'x-hub-signature-256') === undefined) {
    return refuse(401, 'missing-signature', 'X-Hub-Signature-256 is missing');
  }
  return undefined;
}

/**
 * The refusal a GitLab request gets from its headers alone (nothing configured; no signature
 * where a global signing secret wants one; neither a signature nor a token); undefined when the
 * body decides.
 */
export function gitlabHeaderRefusal(
  config: Config['webhooks'],
  headers: WebhookRequest['headers'],
): WebhookVerdict | undefined {
  const { tokens, signingSecrets, repositories: entries } = config.gitlab;
  if (
    tokens.length + signingSecrets.length === 0 &&
    !entries.some((entry) => entry.tokens.length + entry.signingSecrets.length > 0)
  ) {
    return refuse(
      401,
      'not-configured',
      'No GitLab webhook token is configured (STORYFLOW_GITLAB_WEBHOOK_TOKEN)',
    );
  }
  const signing =
    signingSecrets.length > 0 || entries.some((entry) => entry.signingSecrets.length > 0);
  if (header(headers, 'webhook-signature') !== undefined && signing) return undefined;
  if (signingSecrets.length > 0) {
    return refuse(
      401,
      'missing-signature',
      'webhook-signature is missing: a signing secret is configured, so X-Gitlab-Token alone is not accepted',
    );
  }
  if (header(headers, 'x-gitlab-token') === undefined) {
    return refuse(401, 'missing-token', 'X-Gitlab-Token is missing');
  }
  return undefined;
}

function verifyStandard(
  config: Config['webhooks'],
  secrets: readonly string[],
  request: WebhookRequest,
) {
  return verifyStandardWebhook(
    secrets,
    request.rawBody,
    {
      id: header(request.headers, 'webhook-id'),
      timestamp: header(request.headers, 'webhook-timestamp'),
      signature: header(request.headers, 'webhook-signature'),
    },
    Math.floor(request.receivedAt.getTime() / 1000),
    config.gitlab.timestampToleranceSeconds,
  );
}

/**
 * Parses an authentic body and, when `matched` is given (the repository entries whose own
 * secret verified it), checks that the body names a repository one of them covers.
 */
function checkRepository(
  provider: 'github' | 'gitlab',
  request: WebhookRequest,
  matched: readonly { repository: string }[] | undefined,
  notCovered: WebhookVerdict,
): { inspected: Inspection } | { refusal: WebhookVerdict } {
  const unreadable = utf8Refusal(request.rawBody);
  if (unreadable !== undefined) return { refusal: unreadable };
  const inspected = inspectPayload(
    provider,
    request.rawBody,
    header(request.headers, 'content-type'),
  );
  if (inspected === undefined) {
    return { refusal: refuse(400, 'malformed', 'The body is not JSON') };
  }
  const repository = inspected.repository;
  if (
    matched !== undefined &&
    (repository === null ||
      !matched.some((entry) => matchRepositoryGlob(entry.repository, repository)))
  ) {
    return { refusal: notCovered };
  }
  return { inspected };
}

/** A 400 naming the first byte that is not UTF-8, for a body that is verified but not text. */
function utf8Refusal(rawBody: Buffer): WebhookVerdict | undefined {
  const byteOffset = invalidUtf8Offset(rawBody);
  if (byteOffset === undefined) return undefined;
  return refuse(400, 'not-utf8', `The body is not valid UTF-8 at byte offset ${byteOffset}`, {
    byteOffset,
  });
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
  extensions?: Record<string, unknown>,
): WebhookVerdict {
  return {
    accepted: false,
    status,
    reason,
    detail,
    ...(extensions === undefined ? {} : { extensions }),
  };
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
