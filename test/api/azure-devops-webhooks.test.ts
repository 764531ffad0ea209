// POST /webhooks/azure-devops over HTTP: the credential is decided on the headers before the
// body is read, the verified body's event id is the delivery id, and the answers are GitHub's.
import { request as httpRequest } from 'node:http';
import { afterEach, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import {
  AZURE_DEVOPS_SECRET,
  azureDevopsFixture,
  basicAuth,
  postAzureDevops,
} from '../support/azure-devops-webhooks.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';
import { webhookTestConfig } from '../support/webhooks.js';

/**
 * Sends the headers of a request that declares a `declared`-byte body and never sends it: the
 * status a server answers with (it cannot have read the body), or 'timeout'.
 */
function answerWithoutBody(
  url: string,
  headers: Record<string, string>,
  declared = 100_000,
): Promise<number | 'timeout'> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}/webhooks/azure-devops`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': String(declared),
        ...headers,
      },
    });
    const timer = setTimeout(() => {
      request.destroy();
      resolve('timeout');
    }, 3000);
    request.on('response', (response) => {
      clearTimeout(timer);
      response.resume();
      resolve(response.statusCode ?? 0);
      request.destroy();
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.write('{"id":');
  });
}

describeEachStore('POST /webhooks/azure-devops', (open) => {
  let server: TestServer;
  const start = async (azureDevops: NonNullable<Config['webhooks']['azureDevops']>) => {
    server = await startTestServer(await open(), {
      config: { webhooks: { ...webhookTestConfig(), azureDevops } },
    });
  };
  const deliveries = async () =>
    (await http(server.url, 'GET', '/api/v1/deliveries', { token: server.token })).body.items;
  afterEach(async () => {
    await server?.close();
  });

  it('no credential, or a wrong password, is 401 from the headers alone: the body is never awaited', async () => {
    await start({ secrets: [AZURE_DEVOPS_SECRET], header: null });
    expect(await answerWithoutBody(server.url, {})).toBe(401);
    expect(
      await answerWithoutBody(server.url, { authorization: basicAuth('azure-devops', 'wrong') }),
    ).toBe(401);
    // The right password makes the server wait for the body it was promised.
    expect(
      await answerWithoutBody(server.url, {
        authorization: basicAuth('azure-devops', AZURE_DEVOPS_SECRET),
      }),
    ).toBe('timeout');
    expect(await deliveries()).toEqual([]);
  });

  it('answers 202 {delivery, duplicate} as GitHub’s route does; the event id dedupes', async () => {
    await start({ secrets: ['old', AZURE_DEVOPS_SECRET], header: null });
    const push = azureDevopsFixture('git.push');
    const first = await postAzureDevops(server.url, push, { user: 'anyone' });
    expect(first).toMatchObject({ status: 202, body: { duplicate: false } });
    expect(first.body.delivery).toMatch(/^dlv/);
    const again = await postAzureDevops(server.url, push, { password: 'old' });
    expect(again).toEqual({
      status: 202,
      body: { delivery: first.body.delivery, duplicate: true },
    });
    expect(await deliveries()).toHaveLength(1);
  });

  it('a 401 says why in fixed words and stores nothing', async () => {
    await start({ secrets: [AZURE_DEVOPS_SECRET], header: null });
    const push = azureDevopsFixture('git.push');
    const missing = await postAzureDevops(server.url, push, { authorization: '' });
    expect(missing).toMatchObject({ status: 401, body: { reason: 'missing-credential' } });
    const wrong = await postAzureDevops(server.url, push, { password: `${AZURE_DEVOPS_SECRET}x` });
    expect(wrong).toMatchObject({ status: 401, body: { reason: 'bad-credential' } });
    expect(JSON.stringify(wrong.body)).not.toContain(AZURE_DEVOPS_SECRET);
    expect(await deliveries()).toEqual([]);
    // Audited like every refusal: the fixed reason, nothing from the unread body or the password.
    const audit = await http(server.url, 'GET', '/api/v1/audit?action=webhook.rejected', {
      token: server.token,
    });
    const [entry] = audit.body.items;
    expect(entry).toMatchObject({
      targetId: 'azure-devops',
      after: { reason: 'missing-credential' },
    });
    expect(JSON.stringify(audit.body)).not.toContain(AZURE_DEVOPS_SECRET);
    expect(JSON.stringify(audit.body)).not.toContain(push.id);
  });

  it('with nothing configured every request is 401 not-configured', async () => {
    await start({ secrets: [], header: null });
    const answer = await postAzureDevops(server.url, azureDevopsFixture('git.push'));
    expect(answer).toMatchObject({ status: 401, body: { reason: 'not-configured' } });
  });

  it('the configured secret header is accepted in place of basic auth', async () => {
    await start({ secrets: [], header: { name: 'x-hook-key', secrets: ['k-1'] } });
    const push = azureDevopsFixture('git.push');
    const accepted = await postAzureDevops(server.url, push, {
      authorization: '',
      headers: { 'X-Hook-Key': 'k-1' },
    });
    expect(accepted.status).toBe(202);
    const wrong = await postAzureDevops(server.url, push, {
      authorization: '',
      headers: { 'x-hook-key': 'k-2' },
    });
    expect(wrong).toMatchObject({ status: 401, body: { reason: 'bad-credential' } });
  });

  it('an authentic body without an event id is 400 no-delivery-id; one that is not JSON 400 malformed; nothing stored', async () => {
    await start({ secrets: [AZURE_DEVOPS_SECRET], header: null });
    const { id: _id, ...withoutId } = azureDevopsFixture('git.push');
    const noId = await postAzureDevops(server.url, withoutId);
    expect(noId).toMatchObject({ status: 400, body: { reason: 'no-delivery-id' } });
    const notJson = await postAzureDevops(server.url, null, { body: '{"id": "x", ' });
    expect(notJson).toMatchObject({ status: 400, body: { reason: 'malformed' } });
    expect(await deliveries()).toEqual([]);
  });
});
