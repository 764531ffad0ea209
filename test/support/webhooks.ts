// Signed webhook requests as GitHub, GitLab and Bitbucket send them.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { githubExample } from '../providers/github/github-examples.js';

export const GITHUB_SECRET = 'github-test-secret';
export const GITLAB_TOKEN = 'gitlab-test-token';
export const GITEA_SECRET = 'gitea-test-secret';
export const BITBUCKET_SECRET = 'bitbucket-test-secret';

export function githubSignature(body: string | Buffer, secret = GITHUB_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export async function postGithub(
  baseUrl: string,
  event: string,
  payload: unknown,
  options: { deliveryId?: string; secret?: string; signature?: string; body?: string } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const body = options.body ?? JSON.stringify(payload);
  const response = await fetch(`${baseUrl}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/test',
      'x-github-event': event,
      'x-github-delivery': options.deliveryId ?? randomUUID(),
      'x-hub-signature-256': options.signature ?? githubSignature(body, options.secret),
    },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? JSON.parse(text) : null,
    headers: response.headers,
  };
}

export async function postGitlab(
  baseUrl: string,
  event: string,
  payload: unknown,
  options: {
    uuid?: string;
    idempotencyKey?: string;
    token?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}/webhooks/gitlab`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-gitlab-event': event,
      'x-gitlab-event-uuid': options.uuid ?? randomUUID(),
      ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
      ...(options.token === '' ? {} : { 'x-gitlab-token': options.token ?? GITLAB_TOKEN }),
      ...options.headers,
    },
    body: JSON.stringify(payload),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/**
 * Posts a Bitbucket webhook signed as Bitbucket signs it (X-Hub-Signature: sha256= HMAC of the
 * body). `flavour` picks the headers: Cloud sends X-Request-UUID and X-Hook-UUID with the
 * Bitbucket-Webhooks/2.0 user agent, Data Center X-Request-Id.
 */
export async function postBitbucket(
  baseUrl: string,
  event: string,
  payload: unknown,
  options: {
    flavour?: 'cloud' | 'data-center';
    deliveryId?: string;
    secret?: string;
    /** A signature header to send instead of the right one; '' sends none. */
    signature?: string;
    body?: string;
  } = {},
): Promise<{ status: number; body: any }> {
  const body = options.body ?? JSON.stringify(payload);
  const deliveryId = options.deliveryId ?? randomUUID();
  const flavourHeaders: Record<string, string> =
    options.flavour === 'data-center'
      ? { 'user-agent': 'Atlassian HttpClient', 'x-request-id': deliveryId }
      : {
          'user-agent': 'Bitbucket-Webhooks/2.0',
          'x-request-uuid': deliveryId,
          'x-hook-uuid': '{5fd0a1c6-1d3f-4c41-9d2c-0b6a0e1d7c11}',
          'x-attempt-number': '1',
        };
  const signature =
    options.signature ??
    `sha256=${createHmac('sha256', options.secret ?? BITBUCKET_SECRET)
      .update(body)
      .digest('hex')}`;
  const response = await fetch(`${baseUrl}/webhooks/bitbucket`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-event-key': event,
      ...flavourHeaders,
      ...(signature === '' ? {} : { 'x-hub-signature': signature }),
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A payload of test/fixtures/bitbucket (see its SOURCE.md). */
export function bitbucketFixture(name: string): any {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/bitbucket/${name}.json`, import.meta.url), 'utf8'),
  );
}

export function gitlabFixture(name: string): any {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/gitlab/${name}.json`, import.meta.url), 'utf8'),
  );
}

/** Webhook settings for a test server. */
export function webhookTestConfig(overrides: Record<string, unknown> = {}) {
  return {
    maxBodyBytes: 25 * 1024 * 1024,
    github: { secrets: [GITHUB_SECRET], repositories: [] },
    gitlab: {
      tokens: [GITLAB_TOKEN],
      signingSecrets: [],
      repositories: [],
      timestampToleranceSeconds: 300,
    },
    gitea: { secrets: [GITEA_SECRET], repositories: [] },
    bitbucket: { secrets: [BITBUCKET_SECRET], repositories: [] },
    ...overrides,
  };
}

/** A real push of commits to a branch, edited to be a push to an existing branch. */
export function branchPush() {
  const push = githubExample(
    'push',
    (payload) => payload.ref.startsWith('refs/heads/') && payload.commits?.length > 0,
  );
  push.created = false;
  return push;
}
