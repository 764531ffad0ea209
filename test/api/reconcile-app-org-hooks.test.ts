// POST /api/v1/deliveries/reconcile for the hooks that are not a repository's: a GitHub App's
// own webhook (its deliveries listed and redelivered with the app's JWT, not an installation
// token) and an organization's webhooks (an `owner:` entry with a token). The fake GitHub checks
// each request against GitHub's OpenAPI description and really redelivers, signed, to
// /webhooks/github; what was failed or missing is then stored once, what was received is not
// asked again.
import { createPrivateKey } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import type { ForgeConfig } from '../../src/config/config.js';
import { githubExample } from '../providers/github/github-examples.js';
import { acmeForge, type FakeGithub, startFakeGithub } from '../support/fake-github.js';
import { appKeyPair, fakeGithubApp } from '../support/fake-github-app.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';
import { GITHUB_SECRET, postGithub, webhookTestConfig } from '../support/webhooks.js';

const TOKEN = 'ghp_org_reconcile';
const keys = appKeyPair();
const PKCS8 = createPrivateKey(keys.privateKeyPem)
  .export({ type: 'pkcs8', format: 'pem' })
  .toString();

describeEachStore('reconciliation of GitHub App and organization hooks', (open) => {
  let server: TestServer | undefined;
  let github: FakeGithub | undefined;
  const push = githubExample('push');
  const minutesAgo = (minutes: number) =>
    new Date(Date.now() - minutes * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');

  async function start(forge: (apiUrl: string) => ForgeConfig, withApp: boolean) {
    github = await startFakeGithub(
      TOKEN,
      withApp ? fakeGithubApp(77, keys.publicKey, { acme: 4242 }) : undefined,
    );
    server = await startTestServer(await open(), {
      config: { webhooks: webhookTestConfig(), forges: [forge(github.url)] },
    });
    const fake = github;
    const record = (hookId: number, guid: string, minutes: number, statusCode: number) =>
      fake.hookDeliveries.recordDelivery({
        hookId,
        guid,
        event: 'push',
        deliveredAt: minutesAgo(minutes),
        statusCode,
        status: statusCode === 200 ? 'OK' : `Invalid HTTP Response: ${statusCode}`,
        payload: push,
      });
    expect(
      (await postGithub(server.url, 'push', push, { deliveryId: 'guid-received' })).status,
    ).toBe(202);
    return { record, server };
  }
  const reconcile = async (target: TestServer) =>
    http(target.url, 'POST', '/api/v1/deliveries/reconcile', {
      token: target.token,
      json: { since: '24h' },
    });
  const stored = async (target: TestServer) =>
    (await target.store.deliveries.listDeliveries({ provider: 'github', limit: 100 }))
      .map((delivery) => delivery.deliveryId)
      .sort();

  afterEach(async () => {
    expect(github?.malformed).toEqual([]);
    await server?.close();
    await github?.close();
  });

  it('a GitHub App entry: the app hook’s failed and missing deliveries are redelivered, with the app JWT', async () => {
    const { record, server } = await start(
      (apiUrl) =>
        acmeForge(apiUrl, '', {
          token: null,
          app: { id: 77, privateKey: PKCS8, installationId: 4242 },
          linkback: false,
        }),
      true,
    );
    const fake = github as FakeGithub;
    fake.hookDeliveries.hooks.push({
      id: 7,
      app: true,
      url: `${server.url}/webhooks/github`,
      secret: GITHUB_SECRET,
    });
    record(7, 'guid-received', 10, 200);
    record(7, 'guid-failed', 30, 502);
    record(7, 'guid-missing', 20, 200);
    const { status, body } = await reconcile(server);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      repositories: [],
      hooks: ['app 77'],
      checked: 3,
      alreadyReceived: 1,
      failed: 1,
      missing: 1,
      redelivered: 2,
      errors: [],
    });
    await fake.hookDeliveries.settled();
    expect(await stored(server)).toEqual(['guid-failed', 'guid-missing', 'guid-received']);
    const appCalls = fake.requests.filter((request) => request.path.startsWith('/app/hook/'));
    expect(appCalls.map((request) => `${request.method} ${request.path.split('?')[0]}`)).toEqual([
      'GET /app/hook/deliveries',
      expect.stringMatching(/^POST \/app\/hook\/deliveries\/\d+\/attempts$/),
      expect.stringMatching(/^POST \/app\/hook\/deliveries\/\d+\/attempts$/),
    ]);
    // The app JWT (a three-part token the fake checked with the app's public key), not an
    // installation token: none was even minted.
    for (const request of appCalls)
      expect(request.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(fake.app?.tokens.size).toBe(0);
  });

  it('an owner entry with a token: the organization’s hooks posting to storyflow are reconciled, others left alone', async () => {
    const { record, server } = await start(
      (apiUrl) => acmeForge(apiUrl, TOKEN, { linkback: false }),
      false,
    );
    const fake = github as FakeGithub;
    fake.hookDeliveries.hooks.push(
      { id: 8, org: 'acme', url: `${server.url}/webhooks/github`, secret: GITHUB_SECRET },
      { id: 9, org: 'acme', url: 'http://127.0.0.1:9/ci-hook', secret: 'other' },
    );
    record(8, 'guid-received', 10, 200);
    record(8, 'guid-failed', 30, 502);
    record(9, 'guid-ci', 5, 500);
    const { body } = await reconcile(server);
    expect(body).toMatchObject({
      hooks: ['organization acme'],
      checked: 2,
      alreadyReceived: 1,
      failed: 1,
      redelivered: 1,
      errors: [],
    });
    await fake.hookDeliveries.settled();
    expect(await stored(server)).toEqual(['guid-failed', 'guid-received']);
    expect(fake.hookDeliveries.redeliveryRequests).toHaveLength(1);
    expect(
      fake.requests
        .filter((request) => request.path.startsWith('/orgs/'))
        .map((request) => `${request.method} ${request.path.split('?')[0]}`),
    ).toEqual([
      'GET /orgs/acme/hooks',
      'GET /orgs/acme/hooks/8/deliveries',
      expect.stringMatching(/^POST \/orgs\/acme\/hooks\/8\/deliveries\/\d+\/attempts$/),
    ]);
  });
});
