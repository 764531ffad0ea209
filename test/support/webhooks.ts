// Signed webhook requests as GitHub and GitLab send them.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { githubExample } from '../providers/github/github-examples.js';

export const GITHUB_SECRET = 'github-test-secret';
export const GITLAB_TOKEN = 'gitlab-test-token';
export const GITEA_SECRET = 'gitea-test-secret';

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
