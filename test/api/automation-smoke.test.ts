import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open-store.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';

describe('automation through /ci/events', () => {
  let server: TestServer;
  const api = (method: string, path: string, options: Parameters<typeof http>[3] = {}) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token, ...options });
  beforeEach(async () => {
    server = await startTestServer(await openStore('sqlite::memory:'));
    await api('POST', '/stories/import', {
      json: { documents: fixtureStories().map((s) => s.text) },
    });
  });
  afterEach(async () => {
    await server.close();
  });

  it('walks INT-003 from draft to done and rolls back on a failed deployment', async () => {
    const repo = 'acme/shop';
    const branch = 'int-003-cicd-integration-endpoints';
    const send = (event: Record<string, unknown>) =>
      api('POST', '/ci/events', { json: { repository: repo, ...event } });
    let answer = await send({ kind: 'branch.created', branch, sha: 'a1' });
    expect(answer.status).toBe(200);
    expect(answer.body.operations[0].changes).toEqual([
      { story: 'INT-003', field: 'status', before: 'draft', after: 'in_progress' },
    ]);
    answer = await send({
      kind: 'pr.opened',
      branch,
      pr: {
        number: 7,
        title: 'CI endpoints',
        body: 'Closes INT-003',
        source: branch,
        target: 'main',
        url: 'https://x/7',
        draft: false,
      },
    });
    expect(answer.body.operations[0].changes[0]).toMatchObject({ after: 'in_review' });
    answer = await send({
      kind: 'pr.merged',
      branch,
      sha: 'm1',
      pr: {
        number: 7,
        title: 'CI endpoints',
        body: 'Closes INT-003',
        source: branch,
        target: 'main',
        url: 'https://x/7',
        draft: false,
      },
    });
    expect(answer.body.operations[0].changes[0]).toMatchObject({ after: 'done' });
    answer = await send({
      kind: 'deployment.succeeded',
      environment: 'production',
      sha: 'm1',
      branch: 'main',
    });
    expect(answer.body.operations).toEqual([]);
    const links = await api('GET', '/stories/INT-003/links');
    expect(links.body.items.map((link: any) => link.type).sort()).toEqual([
      'branch',
      'deployment',
      'pr',
    ]);

    // A human reopens it; then a deployment fails: nothing to undo for a success with no changes.
    answer = await send({
      kind: 'pipeline.failed',
      branch,
      sha: 'a1',
      pipeline: { id: '9', status: 'failed' },
    });
    expect(answer.body.operations[0].changes[0]).toMatchObject({ field: 'labels' });
    const ops = await api('GET', '/operations?story=INT-003');
    expect(ops.body.items.length).toBe(4);
    const rollback = await api('POST', `/operations/${answer.body.operations[0].id}/rollback`);
    expect(rollback.status).toBe(200);
    const story = await api('GET', '/stories/INT-003');
    expect(story.body.labels).toEqual(['integration', 'cicd', 'automation', 'webhooks']);
    const simulate = await api('POST', '/rules/simulate', {
      json: {
        events: [
          {
            kind: 'pipeline.failed',
            repository: repo,
            branch,
            pipeline: { id: '10', status: 'failed' },
          },
        ],
      },
    });
    expect(simulate.body.operations[0]).toMatchObject({ id: null, status: 'simulated' });
    expect((await api('GET', '/stories/INT-003')).body.labels).not.toContain('ci-failing');
  });
});
