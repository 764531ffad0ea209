// The linkback comment follows its stories outside pull request events: a story moved through
// the API edits the same comment in place (one outbox row per PR), its stories link to the
// console under server.publicUrl, and /metrics counts the calls. The server's own outbox sender
// delivers to a local fake GitHub that checks each request's shape.
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../src/domain/events/normalized-event.js';
import { acmeForge, type FakeGithub, startFakeGithub } from '../support/fake-github.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

const TOKEN = 'ghp_refresh_token';
const HEAD = '3'.repeat(40);
const PUBLIC_URL = 'https://stories.example.com/sf';

describeEachStore('linkback refreshed when a story moves outside PR events', (open) => {
  let server: TestServer;
  let github: FakeGithub;

  const api = (method: string, path: string, json?: unknown) =>
    http(server.url, method, `/api/v1${path}`, {
      token: server.token,
      ...(json === undefined ? {} : { json }),
    });
  const prEvent = (kind: 'pr.opened' | 'pr.merged', number: number, body: string) =>
    server.store.transaction((tx) =>
      server.services.engine.apply(
        tx,
        {
          provider: 'github',
          repository: 'acme/shop',
          kind,
          sha: HEAD,
          branch: `feature-${number}`,
          pr: {
            number,
            title: 'A change',
            body,
            source: `feature-${number}`,
            target: 'main',
            url: `https://github.com/acme/shop/pull/${number}`,
            draft: false,
          },
        } as NormalizedEvent,
        {
          deliveryId: null,
          eventIndex: null,
          actor: { type: 'system', id: null, name: null },
          requestId: null,
        },
      ),
    );
  const openPr = (number: number, body: string) => prEvent('pr.opened', number, body);
  /** Waits for the server's sender (it polls every second) to get the outbox to `done`. */
  const settled = async () => {
    for (let waited = 0; waited < 15_000; waited += 100) {
      const { body } = await api('GET', '/outbox?status=pending');
      if (body.items.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the outbox did not drain');
  };
  const commentBodies = () => [...github.comments.values()].map((comment) => comment.body);

  beforeEach(async () => {
    github = await startFakeGithub(TOKEN);
    server = await startTestServer(await open(), {
      config: { forges: [acmeForge(github.url, TOKEN)], publicUrl: PUBLIC_URL },
    });
    await api('POST', '/stories/import', {
      documents: fixtureStories().map((story) => story.text),
    });
  });
  afterEach(async () => {
    expect(github.malformed).toEqual([]);
    await server.close();
    await github.close();
  });

  it('a story moved by the API edits the same comment, linking to the console; /metrics counts the calls', async () => {
    await openPr(7, 'Closes INT-003, and INT-004');
    await settled();
    expect(github.comments.size).toBe(1);
    const [first] = commentBodies();
    expect(first).toContain(`| [INT-003](${PUBLIC_URL}/story/INT-003) |`);
    expect(first).toContain(`| [INT-004](${PUBLIC_URL}/story/INT-004) |`);
    expect(first).toContain('| in\\_review |');

    const moved = await api('POST', '/stories/INT-003/transitions', { to: 'done' });
    expect(moved.status).toBe(200);
    await settled();
    expect(github.comments.size).toBe(1);
    const [second] = commentBodies();
    expect(second).toMatch(/\| \[INT-003\]\([^)]+\) \| [^|]+ \| done \|/);
    expect(second).toContain(`| [INT-004](${PUBLIC_URL}/story/INT-004) |`);
    const commentCalls = github.requests.filter((request) => request.path.includes('/issues/'));
    expect(commentCalls.map((request) => request.method)).toEqual(['POST', 'PATCH']);

    // One row for the PR's comment, edited in place; a status row for the head commit.
    const { body } = await api('GET', '/outbox');
    expect(body.items.map((item: { kind: string; target: string }) => item.target).sort()).toEqual(
      [`acme/shop#7`, `acme/shop@${HEAD}`].sort(),
    );

    const metrics = (await http(server.url, 'GET', '/metrics')).text;
    expect(metrics).toContain(
      'storyflow_outbox_calls_total{forge="github:acme",kind="comment",outcome="sent"} 2',
    );
    expect(metrics).toContain(
      'storyflow_outbox_calls_total{forge="github:acme",kind="status",outcome="sent"} 1',
    );
  });

  it('a story whose pull request is merged moves without a call to the forge; an edit that keeps the status queues nothing', async () => {
    await openPr(8, 'Closes INT-003');
    await openPr(9, 'Closes INT-004');
    await prEvent('pr.merged', 9, 'Closes INT-004');
    await settled();
    const before = github.requests.length;
    expect((await api('PATCH', '/stories/INT-003', { title: 'Renamed' })).status).toBe(200);
    expect((await api('GET', '/outbox?status=pending')).body.items).toEqual([]);
    const story = await api('GET', '/stories/INT-004');
    expect(story.body.status).toBe('done');
    const moved = await api('POST', '/stories/INT-004/transitions', { to: 'in_progress' });
    expect(moved.status).toBe(200);
    expect((await api('GET', '/outbox?status=pending')).body.items).toEqual([]);
    await settled();
    expect(github.requests).toHaveLength(before);
  });

  it('a forge that does not answer slows no story update: the calls wait in the outbox, then go out once', async () => {
    let release = () => {};
    const hanging = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached = () => {};
    const calling = new Promise<void>((resolve) => {
      reached = resolve;
    });
    github.onRequest = async () => {
      reached();
      await hanging;
    };
    await openPr(10, 'Closes INT-003');
    await calling; // the sender is now stuck in a call to the forge
    const started = Date.now();
    expect((await api('POST', '/stories/INT-003/transitions', { to: 'done' })).status).toBe(200);
    expect((await api('GET', '/stories/INT-003')).body.status).toBe('done');
    expect(Date.now() - started).toBeLessThan(2000);
    release();
    github.onRequest = undefined;
    await settled();
    expect(github.comments.size).toBe(1);
    expect(commentBodies()[0]).toMatch(/\| done \|/);
  });
});
