// GET /api/v1/gates/deployment: the stories a deployment would ship (from the links storyflow
// holds) against the statuses the environment's gate requires (config `gates:`).
import { afterEach, expect, it } from 'vitest';
import type { Clock } from '../../src/domain/clock.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

const REPO = 'acme/shop';
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

describeEachStore('deployment gate', (open) => {
  let server: TestServer | undefined;
  let minute = 0;
  // Each call is a minute later: what happened when is what the gate reads.
  const clock: Clock = { now: () => new Date(Date.UTC(2026, 11, 3, 12, minute++)) };
  const api = (method: string, path: string, json?: unknown, token?: string) =>
    http((server as TestServer).url, method, `/api/v1${path}`, {
      token: token ?? (server as TestServer).token,
      ...(json === undefined ? {} : { json }),
    });
  const gate = (query: Record<string, string>, token?: string) =>
    api('GET', `/gates/deployment?${new URLSearchParams(query)}`, undefined, token);
  const link = (story: string, links: Record<string, unknown>[]) =>
    api('POST', `/stories/${story}/links`, {
      links: links.map((one) => ({ repository: REPO, ...one })),
    });
  const deployed = (environment: string, sha: string, status = 'success') =>
    api('POST', '/deployments', { repository: REPO, environment, status, sha });

  async function start(): Promise<void> {
    server = await startTestServer(await open(), {
      clock,
      config: {
        gates: [
          { environment: 'production', require: ['accepted'] },
          { environment: 'staging', require: ['done', 'accepted'] },
        ],
      },
    });
    await api('POST', '/stories/import', {
      documents: fixtureStories().map((story) => story.text),
    });
  }
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('denies production while a story merged since the last deployment is in_review, naming it and what production requires', async () => {
    await start();
    await link('INF-015', [{ type: 'pr', key: '12', state: 'merged' }]);
    const answer = await gate({ repository: REPO, environment: 'production', sha: SHA });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      decision: 'deny',
      stories: [{ id: 'INF-015', status: 'in_review', required: ['accepted'] }],
      reasons: ['INF-015 is in_review; production requires accepted'],
      since: null,
    });
  });

  it('allows the same work into staging, whose gate accepts done, once the story is done', async () => {
    await start();
    await link('API-001', [{ type: 'pr', key: '13', state: 'merged' }]);
    const answer = await gate({ repository: REPO, environment: 'staging', sha: SHA });
    expect(answer.body).toMatchObject({
      decision: 'allow',
      stories: [{ id: 'API-001', status: 'done', required: ['done', 'accepted'] }],
      reasons: [],
    });
  });

  it('counts only work merged or pushed to a default branch after the last successful deployment to that environment', async () => {
    await start();
    await link('INF-015', [{ type: 'pr', key: '12', state: 'merged' }]);
    // Deployed to production (no story named): INF-015 went out with it.
    expect((await deployed('production', 'f00d')).status).toBe(200);
    // A deployment to staging says nothing about production.
    expect((await deployed('staging', 'beef')).status).toBe(200);
    await link('INT-004', [{ type: 'branch', key: 'main', state: 'active' }]);
    // A feature branch and an open PR have not shipped.
    await link('UI-007', [
      { type: 'branch', key: 'ui-007-feature', state: 'active' },
      { type: 'pr', key: '14', state: 'open' },
    ]);
    const answer = await gate({ repository: REPO, environment: 'production', sha: SHA });
    expect(answer.body.stories.map((story: { id: string }) => story.id)).toEqual(['INT-004']);
    expect(answer.body.reasons).toEqual(['INT-004 is ready; production requires accepted']);
    expect(answer.body.since).toMatch(/^2026-12-03T/);
  });

  it('a failed deployment is not a successful one: the work since the last success still counts', async () => {
    await start();
    await link('INF-015', [{ type: 'pr', key: '12', state: 'merged' }]);
    await deployed('production', 'f00d', 'failure');
    const answer = await gate({ repository: REPO, environment: 'production' });
    expect(answer.body).toMatchObject({ decision: 'deny', since: null });
  });

  it('a story linked at the sha itself counts even when it was linked before the last deployment', async () => {
    await start();
    await link('SEC-002', [{ type: 'commit', key: SHA, sha: SHA }]);
    await deployed('production', 'f00d');
    const answer = await gate({ repository: REPO, environment: 'production', sha: SHA });
    expect(answer.body).toMatchObject({
      decision: 'deny',
      reasons: ['SEC-002 is blocked; production requires accepted'],
    });
    // Without the sha, nothing is left to ship since the deployment.
    const without = await gate({ repository: REPO, environment: 'production' });
    expect(without.body).toMatchObject({ decision: 'allow', stories: [], reasons: [] });
  });

  it('an environment name with LIKE wildcards matches no other environment’s deployment', async () => {
    await start();
    await link('INF-015', [{ type: 'pr', key: '12', state: 'merged' }]);
    await deployed('production', 'f00d');
    for (const environment of ['p_oduction', '%', 'Production']) {
      const answer = await gate({ repository: REPO, environment });
      expect(answer.body.since, environment).toBeNull();
      expect(answer.body.stories.map((story: { id: string }) => story.id)).toEqual(['INF-015']);
    }
  });

  it('an environment without a gate is allowed, and the answer says there is no gate', async () => {
    await start();
    await link('INF-015', [{ type: 'pr', key: '12', state: 'merged' }]);
    const answer = await gate({ repository: REPO, environment: 'qa' });
    expect(answer.body).toMatchObject({
      decision: 'allow',
      stories: [{ id: 'INF-015', status: 'in_review', required: [] }],
      reasons: ['no gate is configured for qa: every deployment to it is allowed'],
    });
  });

  it('needs stories:read and a credential covering the repository; refuses a malformed query', async () => {
    await start();
    const token = async (scopes: string[], repositories?: string[]) =>
      (
        await api('POST', '/tokens', {
          name: scopes.join(','),
          scopes,
          ...(repositories === undefined ? {} : { repositories }),
        })
      ).body.token as string;
    const query = { repository: REPO, environment: 'production' };
    expect((await gate(query, await token(['ci:events']))).status).toBe(403);
    const other = await gate(query, await token(['stories:read'], ['other/*']));
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ repository: REPO });
    expect((await gate(query, await token(['stories:read'], ['acme/*']))).status).toBe(200);
    expect((await gate({ environment: 'production' })).status).toBe(400);
    expect((await gate({ ...query, sha: 'x'.repeat(129) })).status).toBe(400);
    expect((await gate({ ...query, sha: "1' or '1'='1" })).status).toBe(400);
    expect((await gate({ ...query, environment: 'e'.repeat(257) })).status).toBe(400);
    expect((await api('GET', '/gates/deployment?repository=acme/shop', undefined, '')).status).toBe(
      401,
    );
  });
});
