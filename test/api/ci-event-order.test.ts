// "Older" for events CI systems post: by `sequence`, then `occurredAt`, against the newest fact
// applied to the same deployment (deployment.id and environment; POST /deployments uses the
// commit), pipeline (pipeline.id) or PR (pr.number). Without either, arrival order decides.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

describeEachStore('events CI systems post out of order', (open) => {
  let server: TestServer;
  let token: string;
  const api = (method: string, path: string, options: Parameters<typeof http>[3] = {}) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token, ...options });
  const post = (path: string, json: unknown) =>
    http(server.url, 'POST', `/api/v1${path}`, { token, json });
  const statusOf = async (id: string) => (await api('GET', `/stories/${id}`)).body.status;

  beforeEach(async () => {
    server = await startTestServer(await open());
    token = (
      await api('POST', '/tokens', {
        json: {
          name: 'deployer',
          scopes: ['ci:events', 'deployments:write'],
          repositories: ['acme/shop'],
        },
      })
    ).body.token;
    await api('POST', '/stories', { json: { id: 'INT-004', title: 'Slack', status: 'in_review' } });
  });
  afterEach(async () => {
    await server.close();
  });

  const deploy = (status: string, extra: Record<string, unknown> = {}) =>
    post('/deployments', {
      repository: 'acme/shop',
      environment: 'production',
      status,
      sha: 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391',
      stories: ['INT-004'],
      ...extra,
    });

  it('POST /deployments: a failure older than the success is answered as skipped and rolls nothing back', async () => {
    const success = await deploy('success', { occurredAt: '2025-03-04T10:15:00Z' });
    expect(success.status).toBe(200);
    expect(await statusOf('INT-004')).toBe('done');

    const late = await deploy('failure', { occurredAt: '2025-03-04T11:14:00+01:00' });
    expect(late.status).toBe(200);
    expect(late.body.status).toBe('processed');
    expect(late.body.operations).toEqual([
      expect.objectContaining({
        trigger: { kind: 'deployment.failed', delivery: late.body.delivery },
        changes: [],
        steps: [
          {
            story: 'INT-004',
            rule: 'event order',
            action: 'skip deployment.failed',
            because:
              'deployment ci:e69de29bb2d1d6434b8b29ae775ad8c2e48c5391@production at 2025-03-04T10:14:00.000Z',
            skipped: `older than deployment.succeeded (2025-03-04T10:15:00.000Z) already applied from delivery ${success.body.delivery}`,
          },
        ],
      }),
    ]);
    expect(await statusOf('INT-004')).toBe('done');

    // A report without a time is taken as it comes: this failure is newer, and rolls back.
    const now = await deploy('failure');
    expect(now.body.operations[0].changes).toEqual([
      { story: 'INT-004', field: 'status', before: 'done', after: 'in_review' },
    ]);
  });

  it('POST /ci/events: a higher sequence wins over a later clock, the same deployment in another environment is another', async () => {
    const event = (kind: string, extra: Record<string, unknown>) =>
      post('/ci/events', {
        kind,
        repository: 'acme/shop',
        environment: 'production',
        deployment: { id: '1287', status: kind.split('.')[1] },
        stories: ['INT-004'],
        ...extra,
      });
    await event('deployment.succeeded', { sequence: 3, occurredAt: '2025-03-04T10:00:00Z' });
    expect(await statusOf('INT-004')).toBe('done');
    const older = await event('deployment.failed', {
      sequence: 2,
      occurredAt: '2025-03-04T12:00:00Z',
    });
    expect(older.body.operations[0].steps[0]).toMatchObject({
      rule: 'event order',
      skipped: expect.stringContaining('older than deployment.succeeded (sequence 3'),
    });
    expect(await statusOf('INT-004')).toBe('done');

    // The same id in staging is a deployment of its own.
    const staging = await event('deployment.started', {
      environment: 'staging',
      sequence: 1,
      occurredAt: '2025-03-04T09:00:00Z',
    });
    expect(staging.body.operations).toEqual([]);
  });

  it('the skip is on the delivery, in GET /operations and in the audit log', async () => {
    await deploy('success', { occurredAt: '2025-03-04T10:15:00Z' });
    const late = await deploy('started', { occurredAt: '2025-03-04T10:00:00Z' });
    const operations = await api('GET', `/operations?delivery=${late.body.delivery}`);
    expect(operations.body.items).toHaveLength(1);
    expect(operations.body.items[0].steps[0].rule).toBe('event order');
    const audit = await api('GET', '/audit?action=event.skipped');
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        action: 'event.skipped',
        deliveryId: late.body.delivery,
        before: expect.objectContaining({ kind: 'deployment.succeeded' }),
        after: {
          kind: 'deployment.started',
          occurredAt: '2025-03-04T10:00:00.000Z',
          sequence: null,
        },
      }),
    ]);
  });

  it('a sequence that is not a non-negative integer is a 400 naming the field', async () => {
    const answer = await deploy('success', { sequence: -1 });
    expect(answer.status).toBe(400);
    expect(answer.body.errors[0].field).toBe('sequence');
  });
});
