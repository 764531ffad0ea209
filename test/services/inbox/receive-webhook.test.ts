// The verdicts of receive-webhook without HTTP: what is read from an unverified request.
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../../src/config/config.js';
import { githubProvider } from '../../../src/providers/github/github-provider.js';
import { gitlabProvider } from '../../../src/providers/gitlab/gitlab-provider.js';
import {
  type ReceivedRequest,
  receiveWebhook,
} from '../../../src/services/inbox/receive-webhook.js';

const receiveGithubWebhook = (config: Config['webhooks'], request: ReceivedRequest) =>
  receiveWebhook(githubProvider, config, request);
const receiveGitlabWebhook = (config: Config['webhooks'], request: ReceivedRequest) =>
  receiveWebhook(gitlabProvider, config, request);

function webhooks(overrides: Partial<Config['webhooks']> = {}): Config['webhooks'] {
  return {
    maxBodyBytes: 25 * 1024 * 1024,
    github: { secrets: [], repositories: [{ repository: 'acme/*', secrets: ['acme-secret'] }] },
    gitlab: {
      tokens: [],
      signingSecrets: [],
      repositories: [{ repository: 'acme/**', tokens: ['acme-token'], signingSecrets: [] }],
      timestampToleranceSeconds: 300,
    },
    gitea: { secrets: [], repositories: [] },
    bitbucket: { secrets: [], repositories: [] },
    ...overrides,
  };
}

const body = Buffer.from(JSON.stringify({ repository: { full_name: 'acme/shop' } }));
const request = (headers: Record<string, string>, rawBody = body) => ({
  headers,
  rawBody,
  sourceAddress: '127.0.0.1',
  receivedAt: new Date('2026-06-01T10:00:00Z'),
  newId: 'dlv_1',
});
const sign = (secret: string, raw = body) =>
  `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

describe('receiving a webhook with per-repository secrets', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('never parses a body whose signature matched no secret', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const forged = receiveGithubWebhook(
      webhooks(),
      request({ 'x-github-event': 'push', 'x-hub-signature-256': sign('wrong') }),
    );
    expect(forged).toMatchObject({ accepted: false, status: 401, reason: 'bad-signature' });
    const unsigned = receiveGithubWebhook(webhooks(), request({ 'x-github-event': 'push' }));
    expect(unsigned).toMatchObject({ accepted: false, status: 401, reason: 'missing-signature' });
    const gitlab = receiveGitlabWebhook(
      webhooks(),
      request({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'wrong' }),
    );
    expect(gitlab).toMatchObject({ accepted: false, status: 401, reason: 'bad-token' });
    expect(parse).not.toHaveBeenCalled();
  });

  it("accepts a repository's own secret for that repository, parsing the body once verified", () => {
    const verdict = receiveGithubWebhook(
      webhooks(),
      request({ 'x-github-event': 'push', 'x-hub-signature-256': sign('acme-secret') }),
    );
    expect(verdict).toMatchObject({
      accepted: true,
      inspected: true,
      delivery: { repository: 'acme/shop' },
    });
  });

  it("refuses a repository's own secret for another repository", () => {
    const other = Buffer.from(JSON.stringify({ repository: { full_name: 'evil/shop' } }));
    const verdict = receiveGithubWebhook(
      webhooks(),
      request(
        { 'x-github-event': 'push', 'x-hub-signature-256': sign('acme-secret', other) },
        other,
      ),
    );
    expect(verdict).toMatchObject({ accepted: false, status: 401, reason: 'bad-signature' });
  });

  it('keeps no value from the request in a refusal', () => {
    const verdict = receiveGithubWebhook(
      webhooks(),
      request({ 'x-github-event': 'x'.repeat(7000), 'x-hub-signature-256': sign('wrong') }),
    );
    expect(JSON.stringify(verdict).length).toBeLessThan(200);
  });
});
