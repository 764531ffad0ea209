// A forge is added through the provider table alone: a throwaway provider, whose verification is
// one shared header token, gets its route, its refusals, its inbox and its normalization from
// the table, without a line of storyflow changed.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { emitted, ignored } from '../../src/providers/adapter-result.js';
import { webhookProviders } from '../../src/providers/index.js';
import { stringAt } from '../../src/providers/payload-fields.js';
import type { WebhookProvider } from '../../src/providers/webhook-provider.js';
import { header, refuse } from '../../src/providers/webhook-request.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';
import { webhookTestConfig } from '../support/webhooks.js';

const RELAY_TOKEN = 'relay-shared-token';

/** A forge that signs nothing: X-Relay-Token must equal a shared token. */
const relayProvider: WebhookProvider = {
  name: 'relay',
  title: 'Relay',
  verifiedBy: 'X-Relay-Token, a shared token',
  eventHeader: 'X-Relay-Event',
  keptHeaders: ['x-relay-event', 'x-relay-id'],
  refuseEarly: (_config, headers) =>
    header(headers, 'x-relay-token') === undefined
      ? refuse(401, 'missing-token', 'X-Relay-Token is missing')
      : undefined,
  verify(_config, request) {
    const given = Buffer.from(header(request.headers, 'x-relay-token') ?? '');
    const expected = Buffer.from(RELAY_TOKEN);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return refuse(401, 'bad-token', 'X-Relay-Token does not match');
    }
    return {
      accepted: true,
      deliveryId: header(request.headers, 'x-relay-id'),
      inspection: undefined,
    };
  },
  claims: (headers) => ({
    event: header(headers, 'x-relay-event'),
    deliveryId: header(headers, 'x-relay-id'),
  }),
  repositoryOf: (payload) => stringAt(payload, 'repo') ?? null,
  normalize(event, payload) {
    const repository = stringAt(payload, 'repo');
    const branch = stringAt(payload, 'branch');
    if (event !== 'branch' || repository === undefined || branch === undefined) {
      return ignored('not a branch event');
    }
    return emitted({ kind: 'branch.created', provider: 'relay', repository, branch });
  },
};

const BRANCH = 'int-003-cicd-integration-endpoints';

describeEachStore('a provider registered through the table alone', (open) => {
  let server: TestServer;
  const api = (method: string, path: string, options: Parameters<typeof http>[3] = {}) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token, ...options });
  const postRelay = async (headers: Record<string, string>, body: string) => {
    const response = await fetch(`${server.url}/webhooks/relay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
  const start = async (providers?: readonly WebhookProvider[]) => {
    const config: Partial<Config> = {
      webhooks: webhookTestConfig(),
      inbox: {
        max: 1_000_000,
        leaseMs: 30_000,
        retrySchedule: [60],
        batchSize: 100,
        pollMs: 50,
        workers: true,
        workerNiceness: 0,
      },
    };
    server = await startTestServer(await open(), {
      config,
      ...(providers === undefined ? {} : { providers }),
    });
    await api('POST', '/stories/import', {
      json: { documents: fixtureStories().map((story) => story.text) },
    });
  };
  /** The delivery once the inbox worker has processed it (bounded wait). */
  const processed = async (id: string) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const delivery = (await api('GET', `/deliveries/${id}`)).body;
      const waiting = delivery.status === 'pending' || delivery.status === 'processing';
      if (!waiting || Date.now() > deadline) return delivery;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  afterEach(async () => {
    await server.close();
  });

  describe('with the relay provider added to the table', () => {
    beforeEach(async () => {
      await start([...webhookProviders, relayProvider]);
    });

    it('a verified relay delivery is answered 202, stored, normalized and processed: the story it names moves', async () => {
      const deliveryId = randomUUID();
      const body = JSON.stringify({ repo: 'acme/shop', branch: BRANCH });
      const headers = {
        'x-relay-token': RELAY_TOKEN,
        'x-relay-event': 'branch',
        'x-relay-id': deliveryId,
      };
      const answer = await postRelay(headers, body);
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({ delivery: expect.stringMatching(/^dlv_/), duplicate: false });

      const delivery = await processed(answer.body.delivery);
      expect(delivery).toMatchObject({
        provider: 'relay',
        event: 'branch',
        deliveryId,
        repository: 'acme/shop',
        status: 'processed',
      });
      expect(delivery.events).toEqual([
        { kind: 'branch.created', provider: 'relay', repository: 'acme/shop', branch: BRANCH },
      ]);
      expect((await api('GET', '/stories/INT-003')).body.status).toBe('in_progress');
      const again = await postRelay(headers, body);
      expect(again.body).toEqual({ delivery: answer.body.delivery, duplicate: true });
    });

    it('its refusals take the common paths: 401 early or after verify, audited under its name; 400 when the inbox finds the body is not JSON', async () => {
      const missing = await postRelay({ 'x-relay-event': 'branch' }, '{}');
      expect(missing.status).toBe(401);
      expect(missing.body).toMatchObject({
        reason: 'missing-token',
        detail: 'X-Relay-Token is missing',
      });
      const forged = await postRelay({ 'x-relay-token': 'wrong', 'x-relay-event': 'branch' }, '{}');
      expect(forged.status).toBe(401);
      expect(forged.body.reason).toBe('bad-token');
      const noEvent = await postRelay({ 'x-relay-token': RELAY_TOKEN }, '{}');
      expect(noEvent.status).toBe(400);
      expect(noEvent.body).toMatchObject({
        reason: 'no-event',
        detail: 'X-Relay-Event is missing',
      });
      const notJson = await postRelay(
        { 'x-relay-token': RELAY_TOKEN, 'x-relay-event': 'branch' },
        'not json',
      );
      expect(notJson.status).toBe(400);
      expect(notJson.body).toMatchObject({ reason: 'malformed', detail: 'The body is not JSON' });

      const rejected = (await api('GET', '/audit?action=webhook.rejected')).body.items;
      expect(rejected[0]).toMatchObject({ targetId: 'relay', after: { reason: 'missing-token' } });
      const malformed = (await api('GET', '/audit?action=webhook.malformed')).body.items;
      expect(malformed.map((entry: any) => [entry.targetId, entry.after.reason])).toEqual([
        ['relay', 'no-event'],
        ['relay', 'malformed'],
      ]);
      expect((await api('GET', '/deliveries?provider=relay')).body.items).toEqual([]);
    });
  });

  it('without it in the table there is no relay route, and the forges of the table are still served', async () => {
    await start();
    const answer = await postRelay(
      { 'x-relay-token': RELAY_TOKEN, 'x-relay-event': 'branch' },
      '{}',
    );
    expect(answer.status).toBe(404);
    const openapi = (await http(server.url, 'GET', '/openapi.json')).body;
    expect(Object.keys(openapi.paths).filter((path) => path.startsWith('/webhooks/'))).toEqual([
      '/webhooks/github',
      '/webhooks/gitlab',
      '/webhooks/gitea',
      '/webhooks/bitbucket',
      '/webhooks/azure-devops',
    ]);
  });
});
