// What /webhooks/gitea takes from a request's headers and bytes, without HTTP.
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.js';
import { giteaProvider } from '../../../src/providers/gitea/gitea-provider.js';
import type { WebhookRequest } from '../../../src/providers/webhook-provider.js';
import { giteaHeaders, giteaSignature } from '../../support/gitea-webhooks.js';
import { webhookTestConfig } from '../../support/webhooks.js';

const BODY = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/shop' } });

function config(gitea: Config['webhooks']['gitea']): Config['webhooks'] {
  return { ...webhookTestConfig(), gitea };
}
const GLOBAL = config({ secrets: ['global'], repositories: [] });

function request(headers: Record<string, string>, body = BODY): WebhookRequest {
  return { headers, rawBody: Buffer.from(body), receivedAt: new Date('2026-12-03T10:00:00Z') };
}

describe('giteaProvider', () => {
  it("takes Gitea's delivery signed with a configured secret; the delivery id is X-Gitea-Delivery", () => {
    const headers = giteaHeaders('push', BODY, { secret: 'global', deliveryId: 'uuid-1' });
    expect(giteaProvider.refuseEarly(GLOBAL, headers)).toBeUndefined();
    expect(giteaProvider.verify(GLOBAL, request(headers))).toEqual({
      accepted: true,
      deliveryId: 'uuid-1',
      inspection: undefined,
    });
    expect(giteaProvider.claims(headers)).toEqual({ event: 'push', deliveryId: 'uuid-1' });
  });

  it("takes Forgejo's delivery, reading X-Forgejo-Signature, -Event and -Delivery first", () => {
    const headers = {
      ...giteaHeaders('push', BODY, { secret: 'global', forgejo: true, deliveryId: 'f-1' }),
      'x-gitea-delivery': 'g-1',
      'x-gitea-event': 'ignored-name',
    };
    expect(giteaProvider.verify(GLOBAL, request(headers))).toMatchObject({
      accepted: true,
      deliveryId: 'f-1',
    });
    expect(giteaProvider.claims(headers)).toEqual({ event: 'push', deliveryId: 'f-1' });
  });

  it('a bad X-Forgejo-Signature is not rescued by a good X-Gitea-Signature', () => {
    const headers = {
      ...giteaHeaders('push', BODY, { secret: 'global' }),
      'x-forgejo-signature': giteaSignature(BODY, 'wrong'),
    };
    expect(giteaProvider.verify(GLOBAL, request(headers))).toMatchObject({
      accepted: false,
      status: 401,
      reason: 'bad-signature',
    });
  });

  it('X-Hub-Signature-256 alone is not enough: the Gitea signature header is required', () => {
    const headers = giteaHeaders('push', BODY, { secret: 'global' });
    delete headers['x-gitea-signature'];
    delete headers['x-gogs-signature'];
    expect(giteaProvider.refuseEarly(GLOBAL, headers)).toMatchObject({
      status: 401,
      reason: 'missing-signature',
    });
  });

  it("an empty X-Gitea-Signature (Gitea's hook without a secret) is a missing signature", () => {
    const headers = giteaHeaders('push', BODY, { signature: '' });
    expect(giteaProvider.refuseEarly(GLOBAL, headers)).toMatchObject({
      reason: 'missing-signature',
    });
  });

  it('with no secret configured every request is refused on its headers', () => {
    const none = config({ secrets: [], repositories: [] });
    const headers = giteaHeaders('push', BODY, { secret: 'anything' });
    expect(giteaProvider.refuseEarly(none, headers)).toMatchObject({
      status: 401,
      reason: 'not-configured',
      detail: 'No Gitea webhook secret is configured (STORYFLOW_GITEA_WEBHOOK_SECRET)',
    });
  });

  it("a repository's own secret is taken for that repository only", () => {
    const perRepository = config({
      secrets: [],
      repositories: [{ repository: 'acme/*', secrets: ['acme-secret'] }],
    });
    const ours = giteaHeaders('push', BODY, { secret: 'acme-secret' });
    expect(giteaProvider.verify(perRepository, request(ours))).toMatchObject({
      accepted: true,
      inspection: { repository: 'acme/shop' },
    });
    const other = JSON.stringify({ repository: { full_name: 'evil/shop' } });
    const theirs = giteaHeaders('push', other, { secret: 'acme-secret' });
    expect(giteaProvider.verify(perRepository, request(theirs, other))).toMatchObject({
      accepted: false,
      reason: 'bad-signature',
    });
  });

  it("reads the repository of Forgejo's action_run events from run.repository", () => {
    expect(giteaProvider.repositoryOf({ run: { repository: { full_name: 'acme/shop' } } })).toBe(
      'acme/shop',
    );
    expect(giteaProvider.repositoryOf({ repository: { full_name: 7 } })).toBeNull();
  });
});

describe('a form-encoded Gitea delivery', () => {
  it('is refused: the forge signs the JSON inside the form, not the bytes it sends', () => {
    // services/webhook/deliver.go: the body is url.Values{"payload": …}.Encode(), the signature
    // is over t.PayloadContent (the JSON).
    const form = new URLSearchParams({ payload: BODY }).toString();
    const headers = {
      ...giteaHeaders('push', BODY, { secret: 'global' }),
      'content-type': 'application/x-www-form-urlencoded',
    };
    expect(giteaProvider.verify(GLOBAL, request(headers, form))).toMatchObject({
      accepted: false,
      status: 401,
      reason: 'bad-signature',
    });
  });
});
