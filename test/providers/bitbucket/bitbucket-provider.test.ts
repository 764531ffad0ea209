// What /webhooks/bitbucket takes and refuses, decided by the provider before anything is stored:
// X-Hub-Signature over the raw bytes, the delivery id of each flavour, per-repository secrets.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.js';
import { bitbucketProvider } from '../../../src/providers/bitbucket/bitbucket-provider.js';
import { bitbucketFixture } from '../../support/webhooks.js';

type Webhooks = Config['webhooks'];

function webhooks(bitbucket: Partial<Webhooks['bitbucket']> = {}): Webhooks {
  return {
    maxBodyBytes: 1024 * 1024,
    github: { secrets: [], repositories: [] },
    gitlab: { tokens: [], signingSecrets: [], repositories: [], timestampToleranceSeconds: 300 },
    gitea: { secrets: [], repositories: [] },
    bitbucket: { secrets: ['s3cret'], repositories: [], ...bitbucket },
  };
}

const sign = (secret: string, body: Buffer) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

const cloudBody = Buffer.from(JSON.stringify(bitbucketFixture('cloud-push-updated')));
const dcBody = Buffer.from(JSON.stringify(bitbucketFixture('dc-pr-opened')));

function request(body: Buffer, headers: Record<string, string>) {
  return { headers, rawBody: body, receivedAt: new Date('2026-12-03T12:00:00Z') };
}

describe('bitbucketProvider', () => {
  it('refuses on its headers alone when no secret is configured: unsigned Bitbucket hooks are not taken', () => {
    const refusal = bitbucketProvider.refuseEarly(webhooks({ secrets: [] }), {
      'x-event-key': 'repo:push',
    });
    expect(refusal).toMatchObject({ status: 401, reason: 'not-configured' });
    expect(refusal?.detail).toContain('STORYFLOW_BITBUCKET_WEBHOOK_SECRET');
  });

  it('refuses a request without X-Hub-Signature before reading its body', () => {
    expect(bitbucketProvider.refuseEarly(webhooks(), { 'x-event-key': 'repo:push' })).toMatchObject(
      { status: 401, reason: 'missing-signature' },
    );
    expect(
      bitbucketProvider.refuseEarly(webhooks(), { 'x-hub-signature': sign('s3cret', cloudBody) }),
    ).toBeUndefined();
  });

  it('accepts the captured Cloud delivery under the secret and signature Bitbucket used', () => {
    const raw = readFileSync(
      new URL('../../fixtures/bitbucket/cloud-push-branch-created-signed.json', import.meta.url),
    );
    const verdict = bitbucketProvider.verify(
      webhooks({ secrets: ['Gkvl$k$wyNpQAF42'] }),
      request(raw, {
        'x-hub-signature':
          'sha256=f205c729821c6954aff2afe72b965c34015b4baf96ea8ddc2cc44999c014a035',
        'x-request-uuid': 'c1b4c2a7-29b0-4b8b-8d8b-0f0e8b3f1a11',
      }),
    );
    expect(verdict).toEqual({
      accepted: true,
      deliveryId: 'c1b4c2a7-29b0-4b8b-8d8b-0f0e8b3f1a11',
      inspection: undefined,
    });
  });

  it('refuses a forged signature, and one made for other bytes', () => {
    const forged = bitbucketProvider.verify(
      webhooks(),
      request(cloudBody, { 'x-hub-signature': sign('guess', cloudBody) }),
    );
    expect(forged).toMatchObject({ accepted: false, status: 401, reason: 'bad-signature' });
    const otherBytes = bitbucketProvider.verify(
      webhooks(),
      request(Buffer.concat([cloudBody, Buffer.from(' ')]), {
        'x-hub-signature': sign('s3cret', cloudBody),
      }),
    );
    expect(otherBytes).toMatchObject({ accepted: false, reason: 'bad-signature' });
  });

  it('dedupes Cloud on X-Request-UUID and Data Center on X-Request-Id', () => {
    const cloud = bitbucketProvider.verify(
      webhooks(),
      request(cloudBody, {
        'x-hub-signature': sign('s3cret', cloudBody),
        'x-request-uuid': 'cloud-uuid',
        'x-hook-uuid': 'hook-uuid',
        'user-agent': 'Bitbucket-Webhooks/2.0',
      }),
    );
    expect(cloud).toMatchObject({ accepted: true, deliveryId: 'cloud-uuid' });
    const dataCenter = bitbucketProvider.verify(
      webhooks(),
      request(dcBody, { 'x-hub-signature': sign('s3cret', dcBody), 'x-request-id': 'dc-id' }),
    );
    expect(dataCenter).toMatchObject({ accepted: true, deliveryId: 'dc-id' });
    expect(
      bitbucketProvider.claims({ 'x-event-key': 'pr:opened', 'x-request-id': 'dc-id' }),
    ).toEqual({ event: 'pr:opened', deliveryId: 'dc-id' });
  });

  it("a repository's own secret covers only that repository, Cloud or Data Center", () => {
    const config = webhooks({
      secrets: [],
      repositories: [
        { repository: 'amuniz/*', secrets: ['cloud-repo-secret'] },
        { repository: '~gopher/webhook-test', secrets: ['dc-repo-secret'] },
      ],
    });
    const verify = (body: Buffer, secret: string) =>
      bitbucketProvider.verify(config, request(body, { 'x-hub-signature': sign(secret, body) }));
    expect(verify(cloudBody, 'cloud-repo-secret')).toMatchObject({
      accepted: true,
      inspection: { repository: 'amuniz/test-repos' },
    });
    expect(verify(dcBody, 'dc-repo-secret')).toMatchObject({
      accepted: true,
      inspection: { repository: '~gopher/webhook-test' },
    });
    expect(verify(dcBody, 'cloud-repo-secret')).toMatchObject({ reason: 'bad-signature' });
    expect(verify(cloudBody, 'dc-repo-secret')).toMatchObject({ reason: 'bad-signature' });
  });

  it('names the repository of each flavour for the inbox', () => {
    expect(bitbucketProvider.repositoryOf(bitbucketFixture('cloud-push-updated'))).toBe(
      'amuniz/test-repos',
    );
    expect(bitbucketProvider.repositoryOf(bitbucketFixture('dc-refs-changed-updated'))).toBe(
      'AMUNIZ/test-repos',
    );
    expect(bitbucketProvider.repositoryOf(bitbucketFixture('dc-pr-merged'))).toBe(
      '~gopher/webhook-test',
    );
    expect(bitbucketProvider.repositoryOf(bitbucketFixture('dc-diagnostics-ping'))).toBeNull();
  });
});
