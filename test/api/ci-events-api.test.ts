import { afterEach, beforeEach, expect, it } from 'vitest';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

describeEachStore('events reported by CI systems', (open) => {
  let server: TestServer;
  let ciToken: string;
  let deployToken: string;
  const api = (method: string, path: string, options: Parameters<typeof http>[3] = {}) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token, ...options });

  beforeEach(async () => {
    server = await startTestServer(await open());
    ciToken = (
      await api('POST', '/tokens', {
        json: { name: 'jenkins', scopes: ['ci:events'], repositories: ['acme/*'] },
      })
    ).body.token;
    deployToken = (
      await api('POST', '/tokens', {
        json: { name: 'deployer', scopes: ['deployments:write'], repositories: ['acme/shop'] },
      })
    ).body.token;
  });
  afterEach(async () => {
    await server.close();
  });

  const pipelineFailed = {
    kind: 'pipeline.failed',
    repository: 'acme/shop',
    branch: 'feature/INT-003-webhooks',
    sha: 'a1b2c3d4',
    pipeline: {
      id: '42',
      name: 'build',
      url: 'https://jenkins.example.com/job/shop/42/',
      status: 'FAILURE',
    },
  };

  it('a normalized event is stored and processed before the answer', async () => {
    const answer = await http(server.url, 'POST', '/api/v1/ci/events', {
      token: ciToken,
      json: pipelineFailed,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ duplicate: false, status: 'processed', operations: [] });
    const delivery = await api('GET', `/deliveries/${answer.body.delivery}`);
    expect(delivery.body).toMatchObject({
      provider: 'ci',
      event: 'pipeline.failed',
      status: 'processed',
      repository: 'acme/shop',
      events: [{ ...pipelineFailed, provider: 'ci' }],
    });
  });

  it('the same Idempotency-Key from the same token is the same delivery', async () => {
    const send = () =>
      http(server.url, 'POST', '/api/v1/ci/events', {
        token: ciToken,
        json: pipelineFailed,
        headers: { 'idempotency-key': 'jenkins-shop-42' },
      });
    const first = await send();
    const retry = await send();
    // The retry gets the first answer again (Idempotency-Key replay), not a second delivery.
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect((await api('GET', '/deliveries?provider=ci')).body.items).toHaveLength(1);
  });

  it('a token is held to its repositories', async () => {
    const other = await http(server.url, 'POST', '/api/v1/ci/events', {
      token: ciToken,
      json: { ...pipelineFailed, repository: 'evil/corp' },
    });
    expect(other.status).toBe(403);
    expect(other.body.detail).toContain('evil/corp');
    const deploy = await http(server.url, 'POST', '/api/v1/deployments', {
      token: deployToken,
      json: { repository: 'acme/other', environment: 'production', status: 'success' },
    });
    expect(deploy.status).toBe(403);
  });

  it('a deployment that changes a story answers its operation', async () => {
    await api('POST', '/stories', { json: { id: 'INT-004', title: 'Slack', status: 'in_review' } });
    const answer = await http(server.url, 'POST', '/api/v1/deployments', {
      token: deployToken,
      json: {
        repository: 'acme/shop',
        environment: 'production',
        status: 'success',
        sha: 'abc123',
        stories: ['INT-004'],
      },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.operations[0]).toMatchObject({
      trigger: { kind: 'deployment.succeeded' },
      changes: [{ story: 'INT-004', field: 'status', before: 'in_review', after: 'done' }],
    });
  });

  it('a bad event is a 400 naming the field', async () => {
    const answer = await http(server.url, 'POST', '/api/v1/ci/events', {
      token: ciToken,
      json: { kind: 'pipeline.exploded', repository: 'acme/shop' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.errors[0].field).toBe('kind');
    const noRepository = await http(server.url, 'POST', '/api/v1/ci/events', {
      token: ciToken,
      json: { kind: 'push' },
    });
    expect(noRepository.body.errors[0].field).toBe('repository');
  });

  it('a deployment report becomes a deployment event with its ref and stories', async () => {
    const answer = await http(server.url, 'POST', '/api/v1/deployments', {
      token: deployToken,
      json: {
        repository: 'acme/shop',
        environment: 'production',
        status: 'success',
        sha: 'abc123',
        ref: 'refs/heads/main',
        stories: ['INT-003'],
        url: 'https://shop.example.com',
      },
    });
    expect(answer.status).toBe(200);
    const delivery = await api('GET', `/deliveries/${answer.body.delivery}`);
    expect(delivery.body.events[0]).toMatchObject({
      kind: 'deployment.succeeded',
      repository: 'acme/shop',
      environment: 'production',
      branch: 'main',
      sha: 'abc123',
      stories: ['INT-003'],
      deployment: { status: 'success' },
    });
  });
});
