// The console over real HTTP, without a browser: sessions, CSRF, scopes, escaping, exact bytes
// and the live event stream. (test/console/console-browser.test.ts drives it in Chromium.)
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open-store.js';
import { githubCreateBranch } from '../support/automation-payloads.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { postGithub, webhookTestConfig } from '../support/webhooks.js';
import { clientWith, postForm, setCookieOf, signIn } from './console-support.js';

let server: TestServer;

beforeEach(async () => {
  server = await startTestServer(await openStore('sqlite::memory:'));
  await http(server.url, 'POST', '/api/v1/stories/import', {
    token: server.token,
    json: { documents: fixtureStories().map((story) => story.text) },
  });
});
afterEach(async () => server.close());

async function createToken(scopes: string[]): Promise<string> {
  const created = await http(server.url, 'POST', '/api/v1/tokens', {
    token: server.token,
    json: { name: `console-${scopes.join('-')}`, scopes },
  });
  expect(created.status).toBe(201);
  return created.body.token as string;
}

async function storyStatus(id: string): Promise<string> {
  return (await http(server.url, 'GET', `/api/v1/stories/${id}`, { token: server.token })).body
    .status;
}

describe('sign in', () => {
  it('sends a visitor without a session to a sign-in form with a password field named token', async () => {
    const home = await fetch(`${server.url}/`, { redirect: 'manual' });
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toBe('/sign-in');
    const page = await (await fetch(`${server.url}/sign-in`)).text();
    expect(page).toMatch(/<input type="password" id="token" name="token"/);
    const redirect = await fetch(`${server.url}/console`, { redirect: 'manual' });
    expect(redirect.headers.get('location')).toBe('/');
  });

  it('exchanges a token for an HttpOnly SameSite=Strict cookie and never puts the token in a page', async () => {
    const response = await postForm(server.url, '/sign-in', { token: server.token }, '');
    expect(response.status).toBe(303);
    const cookie = setCookieOf(response);
    expect(cookie).toMatch(
      /^storyflow_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/,
    );
    const client = clientWith(server.url, cookie.split(';')[0] ?? '');
    const board = await client.get('/');
    expect(board.status).toBe(200);
    const html = await board.text();
    expect(html).not.toContain(server.token);
    expect(board.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('marks the cookie Secure when the request came over TLS (X-Forwarded-Proto behind a trusted proxy)', async () => {
    await server.close();
    server = await startTestServer(await openStore('sqlite::memory:'), {
      config: { trustProxy: true },
    });
    const response = await postForm(server.url, '/sign-in', { token: server.token }, '', {
      'x-forwarded-proto': 'https',
    });
    expect(setCookieOf(response)).toMatch(/; Secure$/);
  });

  it('refuses an unknown token with 401 and no cookie', async () => {
    const response = await postForm(server.url, '/sign-in', { token: 'sfp_nope' }, '');
    expect(response.status).toBe(401);
    expect(setCookieOf(response)).toBe('');
    expect(await response.text()).toContain('not accepted');
  });

  it('signs out: the session cookie stops working', async () => {
    const client = await signIn(server.url, server.token);
    const csrf = await client.csrf();
    const out = await client.post('/sign-out', { _csrf: csrf });
    expect(out.status).toBe(303);
    expect(setCookieOf(out)).toContain('Max-Age=0');
    expect((await client.get('/')).status).toBe(303);
  });

  it('ends the session when its token is revoked', async () => {
    const token = await createToken(['stories:read']);
    const client = await signIn(server.url, token);
    expect((await client.get('/')).status).toBe(200);
    const list = await http(server.url, 'GET', '/api/v1/tokens', { token: server.token });
    const id = list.body.items.find(
      (item: { name: string }) => item.name === 'console-stories:read',
    ).id;
    expect(
      (await http(server.url, 'DELETE', `/api/v1/tokens/${id}`, { token: server.token })).status,
    ).toBe(204);
    expect((await client.get('/')).status).toBe(303);
  });
});

describe('board and moves', () => {
  it('shows a column per workflow status with each fixture story as a card in its status', async () => {
    const client = await signIn(server.url, server.token);
    const html = await (await client.get('/')).text();
    for (const status of [
      'draft',
      'ready',
      'in_progress',
      'in_review',
      'done',
      'accepted',
      'blocked',
      'cancelled',
    ]) {
      expect(html).toContain(`data-status="${status}"`);
    }
    for (const story of fixtureStories()) {
      const status = await storyStatus(story.id);
      const column = html.split(`data-status="${status}"`)[1]?.split('<section')[0] ?? '';
      expect(column).toContain(`data-story="${story.id}"`);
    }
  });

  it("shows each card's linked pipeline and deployment, a failed pipeline marked", async () => {
    const linked = await http(server.url, 'POST', '/api/v1/stories/INT-004/links', {
      token: server.token,
      json: {
        links: [
          { type: 'pipeline', repository: 'acme/app', key: '42', state: 'failed' },
          {
            type: 'deployment',
            repository: 'acme/app',
            key: 'staging',
            state: 'success',
            environment: 'staging',
          },
        ],
      },
    });
    expect(linked.status).toBe(200);
    const client = await signIn(server.url, server.token);
    const html = await (await client.get('/')).text();
    const card = html.split('data-story="INT-004"')[1]?.split('</li>\n')[0] ?? '';
    expect(card).toContain(
      '<li class="link pipeline failed"><span aria-hidden="true">✖ </span>pipeline 42: failed</li>',
    );
    expect(card).toContain('deployed to staging (success)');
    expect(html.split('data-story="API-001"')[1]?.split('</li>\n')[0]).not.toContain('class="link');
  });

  it('filters the board by owner and by a repository the story has links in', async () => {
    await http(server.url, 'POST', '/api/v1/stories/INT-004/links', {
      token: server.token,
      json: { links: [{ type: 'branch', repository: 'acme/app', key: 'int-004' }] },
    });
    const client = await signIn(server.url, server.token);
    const byRepository = await (await client.get('/?repository=acme%2Fapp')).text();
    expect(byRepository).toContain('data-story="INT-004"');
    expect(byRepository).not.toContain('data-story="API-001"');
    const owner = (
      await http(server.url, 'GET', '/api/v1/stories/INT-003', { token: server.token })
    ).body.owner;
    const byOwner = await (await client.get(`/?owner=${encodeURIComponent(owner)}`)).text();
    expect(byOwner).toContain('data-story="INT-003"');
    expect(byOwner).not.toContain('data-story="XBOM-010"');
    expect(byOwner).toContain(`name="owner" value="${owner}"`);
  });

  it('filters the board by epic, label and text taken from the URL', async () => {
    const client = await signIn(server.url, server.token);
    const html = await (await client.get('/?epic=api')).text();
    expect(html).toContain('data-story="API-001"');
    expect(html).not.toContain('data-story="SEC-002"');
    expect(html).toContain('name="epic" value="api"');
  });

  it('moves a card with a form post carrying the CSRF token and the version (If-Match)', async () => {
    const client = await signIn(server.url, server.token);
    const before = await http(server.url, 'GET', '/api/v1/stories/API-001', {
      token: server.token,
    });
    const response = await client.post('/story/API-001/move', {
      _csrf: await client.csrf(),
      to: 'accepted',
      version: String(before.body.version),
    });
    expect(response.status).toBe(303);
    expect(await storyStatus('API-001')).toBe('accepted');
  });

  it('refuses a forged move without or with a wrong CSRF token, or from another origin', async () => {
    const client = await signIn(server.url, server.token);
    const csrf = await client.csrf();
    const version = String(
      (await http(server.url, 'GET', '/api/v1/stories/API-001', { token: server.token })).body
        .version,
    );
    expect((await client.post('/story/API-001/move', { to: 'accepted', version })).status).toBe(
      403,
    );
    expect(
      (
        await client.post('/story/API-001/move', {
          _csrf: `${csrf.slice(1)}x`,
          to: 'accepted',
          version,
        })
      ).status,
    ).toBe(403);
    const crossSite = await client.post(
      '/story/API-001/move',
      { _csrf: csrf, to: 'accepted', version },
      { origin: 'https://evil.example' },
    );
    expect(crossSite.status).toBe(403);
    expect(await storyStatus('API-001')).toBe('done');
  });

  it('answers a move of a card changed since it was loaded with each changed field, was and now, and the current version', async () => {
    const client = await signIn(server.url, server.token);
    const csrf = await client.csrf();
    const loaded = (
      await http(server.url, 'GET', '/api/v1/stories/INT-004', { token: server.token })
    ).body;
    const changed = await http(server.url, 'PATCH', '/api/v1/stories/INT-004', {
      token: server.token,
      json: { title: 'Retitled meanwhile', priority: 'high' },
    });
    expect(changed.status).toBe(200);
    const stale = await client.post(
      '/story/INT-004/move',
      { _csrf: csrf, to: 'in_progress', version: String(loaded.version) },
      { accept: 'application/json' },
    );
    expect(stale.status).toBe(412);
    const answer = (await stale.json()) as {
      version: number;
      allowed: string[];
      changes: { field: string; before: string; after: string }[];
    };
    expect(answer).toMatchObject({
      ok: false,
      code: 'precondition-failed',
      to: 'in_progress',
      status: 'ready',
      version: loaded.version + 1,
    });
    expect(answer.changes).toEqual(
      expect.arrayContaining([
        { field: 'title', before: loaded.title, after: 'Retitled meanwhile' },
        { field: 'priority', before: 'low', after: 'high' },
      ]),
    );
    expect(answer.changes).toHaveLength(2);
    expect(answer.allowed).toContain('in_progress');
    // Without the script (a form post), the refusal page shows the same, and the move again.
    const page = await client.post('/story/INT-004/move', {
      _csrf: csrf,
      to: 'in_progress',
      version: String(loaded.version),
    });
    expect(page.status).toBe(412);
    const html = await page.text();
    expect(html).toContain(
      '<tr data-field="title"><th scope="row">title</th><td>Slack notifications for story transitions</td><td>Retitled meanwhile</td></tr>',
    );
    expect(html).toContain(
      `<input type="hidden" name="version" value="${answer.version}">\n<button type="submit" name="to" value="in_progress">Move to in_progress anyway (version ${answer.version})</button>`,
    );
    // The same move on the version it answered goes through.
    const retried = await client.post(
      '/story/INT-004/move',
      { _csrf: csrf, to: 'in_progress', version: String(answer.version) },
      { accept: 'application/json' },
    );
    expect(retried.status).toBe(200);
    expect(await storyStatus('INT-004')).toBe('in_progress');
  });

  it('folds several missed writes into one change per field, leaving out a field changed and changed back', async () => {
    const client = await signIn(server.url, server.token);
    const csrf = await client.csrf();
    const loaded = (
      await http(server.url, 'GET', '/api/v1/stories/INT-004', { token: server.token })
    ).body;
    for (const json of [
      { title: 'First retitle', priority: 'high' },
      { title: 'Second retitle' },
      { priority: 'low' },
    ]) {
      const patched = await http(server.url, 'PATCH', '/api/v1/stories/INT-004', {
        token: server.token,
        json,
      });
      expect(patched.status).toBe(200);
    }
    const stale = await client.post(
      '/story/INT-004/move',
      { _csrf: csrf, to: 'in_progress', version: String(loaded.version) },
      { accept: 'application/json' },
    );
    expect(stale.status).toBe(412);
    expect(((await stale.json()) as { changes: unknown[] }).changes).toEqual([
      { field: 'title', before: loaded.title, after: 'Second retitle' },
    ]);
  });

  it('answers a stale card with what changed and a refused move with the allowed targets', async () => {
    const client = await signIn(server.url, server.token);
    const csrf = await client.csrf();
    const stale = await client.post('/story/API-001/move', {
      _csrf: csrf,
      to: 'accepted',
      version: '999',
    });
    expect(stale.status).toBe(412);
    expect(await stale.text()).toContain('changed since the board was loaded');
    const version = String(
      (await http(server.url, 'GET', '/api/v1/stories/API-001', { token: server.token })).body
        .version,
    );
    const refused = await client.post(
      '/story/API-001/move',
      { _csrf: csrf, to: 'draft', version },
      { accept: 'application/json' },
    );
    expect(refused.status).toBe(409);
    const answer = await refused.json();
    expect(answer).toMatchObject({
      ok: false,
      code: 'transition-not-allowed',
      allowed: ['in_progress', 'accepted'],
    });
  });

  it('shows a read-only token no edit controls and refuses its move even with a valid CSRF token', async () => {
    const client = await signIn(server.url, await createToken(['stories:read']));
    const html = await (await client.get('/')).text();
    expect(html).toContain('data-story="API-001"');
    expect(html).not.toContain('class="move"');
    expect(html).not.toContain('draggable="true"');
    const response = await client.post('/story/API-001/move', {
      _csrf: await client.csrf(),
      to: 'accepted',
      version: '1',
    });
    expect(response.status).toBe(403);
    expect(await storyStatus('API-001')).toBe('done');
  });
});

describe('story page', () => {
  it('escapes titles and fields and renders the body without any script, handler or javascript: link', async () => {
    const hostile = [
      '---',
      'id: XSS-001',
      'title: "<script>alert(1)</script>"',
      'status: draft',
      'epic: "\\"><img src=x onerror=alert(2)>"',
      '---',
      '<img src=x onerror=alert(3)> **bold** [x](javascript:alert(4)) [ok](https://example.com/a?b=1&c=2)',
      '',
    ].join('\n');
    const imported = await http(server.url, 'POST', '/api/v1/stories/import', {
      token: server.token,
      text: hostile,
    });
    expect(imported.status).toBe(200);
    const client = await signIn(server.url, server.token);
    for (const path of ['/', '/story/XSS-001']) {
      const html = await (await client.get(path)).text();
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('<img');
      expect(html).not.toContain('href="javascript:');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
    const story = await (await client.get('/story/XSS-001')).text();
    expect(story).toContain('<strong>bold</strong>');
    expect(story).toContain(
      '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noreferrer">ok</a>',
    );
  });

  it('edits frontmatter fields (text, numbers and lists such as labels and dependencies) with the page version, changing only those lines', async () => {
    const client = await signIn(server.url, server.token);
    const csrf = await client.csrf();
    const page = await (await client.get('/story/API-001')).text();
    expect(page).toContain('name="field.priority" value="high"');
    const before = await http(server.url, 'GET', '/api/v1/stories/API-001.md', {
      token: server.token,
    });
    const fields = {
      'field.priority': 'low',
      'field.dependencies': 'INF-015, INT-003',
      'field.labels': 'api, core, console',
      'field.title': 'Story workflow REST API',
    };
    expect((await client.post('/story/API-001/fields', { ...fields, version: '1' })).status).toBe(
      403,
    );
    const saved = await client.post('/story/API-001/fields', {
      ...fields,
      _csrf: csrf,
      version: '1',
    });
    expect(saved.status).toBe(303);
    const after = await http(server.url, 'GET', '/api/v1/stories/API-001.md', {
      token: server.token,
    });
    const changed = after.text
      .split('\n')
      .filter((line, index) => line !== before.text.split('\n')[index]);
    expect(changed).toEqual([
      'priority: low',
      'dependencies: [INF-015, INT-003]',
      'labels: [api, core, console]',
    ]);
    const stale = await client.post('/story/API-001/fields', {
      ...fields,
      'field.priority': 'high',
      _csrf: csrf,
      version: '1',
    });
    expect(stale.status).toBe(412);
    expect(await stale.text()).toContain('changed since the page was loaded (now version 2)');
  });

  it('edits a mapping field (emit_metadata) as YAML, changing only its block; invalid YAML is refused naming the field', async () => {
    const client = await signIn(server.url, server.token);
    const csrf = await client.csrf();
    const page = await (await client.get('/story/API-001')).text();
    // The mapping is shown as YAML in a text area; other fields left as shown are not sent.
    expect(page).toMatch(
      /emit_metadata \(YAML\) <textarea name="field\.emit_metadata"[^>]*>source_id: null\nlayer: null/,
    );
    const before = await http(server.url, 'GET', '/api/v1/stories/API-001.md', {
      token: server.token,
    });
    const bad = await client.post('/story/API-001/fields', {
      'field.emit_metadata': 'source_id: [unclosed',
      _csrf: csrf,
      version: '1',
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('emit_metadata is not valid YAML');
    // As a browser sends a text area: CR LF line ends.
    const saved = await client.post('/story/API-001/fields', {
      'field.emit_metadata':
        'source_id: null\r\nlayer: api\r\ninput_path: null\r\nnotes: reviewed in the console\r\n',
      'field.market': '',
      _csrf: csrf,
      version: '1',
    });
    expect(saved.status).toBe(303);
    const after = await http(server.url, 'GET', '/api/v1/stories/API-001.md', {
      token: server.token,
    });
    const changed = after.text
      .split('\n')
      .filter((line, index) => line !== before.text.split('\n')[index]);
    expect(changed).toEqual(['  layer: api', '  notes: reviewed in the console']);
    const story = await http(server.url, 'GET', '/api/v1/stories/API-001', { token: server.token });
    expect(story.body.emit_metadata).toEqual({
      source_id: null,
      layer: 'api',
      input_path: null,
      notes: 'reviewed in the console',
    });
    expect(story.body.market).toBeNull();
  });

  it('downloads the exact bytes of a document (BOM, CR LF)', async () => {
    const client = await signIn(server.url, server.token);
    for (const id of ['XBOM-010', 'WIN-009', 'UTF-008']) {
      const response = await client.get(`/story/${id}/raw`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${id}.md"`);
      const expected = fixtureStories().find((story) => story.id === id)?.bytes;
      expect(Buffer.from(await response.arrayBuffer()).equals(expected ?? Buffer.alloc(0))).toBe(
        true,
      );
    }
  });
});

describe('live updates', () => {
  it('streams an event naming a story moved through the API', async () => {
    const client = await signIn(server.url, server.token);
    const controller = new AbortController();
    const response = await fetch(`${server.url}/events`, {
      headers: { cookie: client.cookie },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let received = '';
    const read = async (until: string) => {
      while (!received.includes(until)) {
        const chunk = await reader.read();
        if (chunk.done) break;
        received += Buffer.from(chunk.value).toString('utf8');
      }
    };
    await read('retry: 1000');
    await new Promise((resolve) => setTimeout(resolve, 400));
    await http(server.url, 'POST', '/api/v1/stories/INT-003/transitions', {
      token: server.token,
      json: { to: 'blocked' },
    });
    await read('"story":"INT-003"');
    expect(received).toContain('event: story\ndata: {"story":"INT-003"');
    controller.abort();
    // Signed out, the stream is refused the way that stops EventSource from reconnecting.
    const ended = await fetch(`${server.url}/events`, { redirect: 'manual' });
    expect(ended.status).toBe(204);
  });
});

describe('live updates after a reconnect', () => {
  it('tells a board reconnecting with Last-Event-ID of the stories changed while it was away, and only those', async () => {
    const client = await signIn(server.url, server.token);
    const open = async (lastEventId?: string) => {
      const controller = new AbortController();
      const response = await fetch(`${server.url}/events`, {
        headers: {
          cookie: client.cookie,
          ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
        },
        signal: controller.signal,
      });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let received = '';
      const read = async (until: RegExp) => {
        while (!until.test(received)) {
          const chunk = await reader.read();
          if (chunk.done) break;
          received += Buffer.from(chunk.value).toString('utf8');
        }
        return received;
      };
      return { read, close: () => controller.abort() };
    };
    const move = (id: string, to: string) =>
      http(server.url, 'POST', `/api/v1/stories/${id}/transitions`, {
        token: server.token,
        json: { to },
      });
    const first = await open();
    await first.read(/retry: 1000/);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await move('INT-003', 'blocked');
    const seen = /id: (\d+)\nevent: story\ndata: \{"story":"INT-003"/.exec(
      await first.read(/"story":"INT-003"/),
    );
    expect(seen?.[1]).toBeDefined();
    first.close();
    // Changed while no stream was open.
    await move('API-001', 'in_progress');
    const again = await open(seen?.[1]);
    const received = await again.read(/"story":"API-001"/);
    again.close();
    expect(received).toContain('event: story\ndata: {"story":"API-001"');
    expect(received).not.toContain('"story":"INT-003"');
  });
});

describe('other pages', () => {
  it('lists dead letters first, then the newest of the rest', async () => {
    const delivery = (id: string, receivedAt: string) => ({
      id,
      provider: 'github',
      deliveryId: id,
      event: 'push',
      headers: { 'x-github-event': 'push' },
      body: '{}',
      receivedAt,
      sourceAddress: null,
      repository: null,
    });
    await server.store.deliveries.insertDeliveries([
      delivery('dlv_old_dead', '2026-01-01T00:00:00.000Z'),
      delivery('dlv_new_a', '2026-02-01T00:00:00.000Z'),
      delivery('dlv_new_b', '2026-02-02T00:00:00.000Z'),
    ]);
    await server.store.deliveries.completeDelivery('dlv_old_dead', 10, {
      status: 'dead',
      events: null,
      lastError: 'gave up',
      processedAt: null,
    });
    const client = await signIn(server.url, server.token);
    const list = await (await client.get('/deliveries')).text();
    const order = [...list.matchAll(/<tr data-delivery="([^"]+)"/g)].map((match) => match[1]);
    expect(order.slice(0, 3)).toEqual(['dlv_old_dead', 'dlv_new_b', 'dlv_new_a']);
  });

  it("shows a delivery's headers with secrets redacted and its payload, searchable", async () => {
    await server.close();
    server = await startTestServer(await openStore('sqlite::memory:'), {
      config: { webhooks: webhookTestConfig() } as never,
    });
    const sent = await postGithub(server.url, 'create', githubCreateBranch('int-003-x'));
    expect(sent.status).toBe(202);
    const client = await signIn(server.url, server.token);
    const list = await (await client.get('/deliveries')).text();
    const id = /<tr data-delivery="([^"]+)"/.exec(list)?.[1] ?? '';
    const html = await (await client.get(`/deliveries/${id}`)).text();
    expect(html).not.toMatch(/sha256=[0-9a-f]{64}/);
    expect(html).toContain('<td>x-github-event</td><td>create</td>');
    expect(html).toContain('&quot;ref&quot;: &quot;int-003-x&quot;');
    expect(html).toContain('data-search="payload-text"');
    // A header that carries a secret, should one be kept, is never shown.
    await server.store.deliveries.insertDeliveries([
      {
        id: 'dlv_secret',
        provider: 'gitlab',
        deliveryId: 'uuid-secret',
        event: 'Push Hook',
        headers: {
          'x-gitlab-token': 'very-secret',
          authorization: 'Bearer sfp_x',
          'x-gitlab-event': 'Push Hook',
        },
        body: '{}',
        receivedAt: new Date().toISOString(),
        sourceAddress: null,
        repository: null,
      },
    ]);
    const secret = await (await client.get('/deliveries/dlv_secret')).text();
    expect(secret).toContain('<td>x-gitlab-token</td><td>[redacted]</td>');
    expect(secret).toContain('<td>authorization</td><td>[redacted]</td>');
    expect(secret).not.toContain('very-secret');
    expect(secret).toContain('<td>x-gitlab-event</td><td>Push Hook</td>');
  });

  it('simulates a pasted payload: shows what would change and changes nothing', async () => {
    const client = await signIn(server.url, await createToken(['stories:read']));
    const form = {
      provider: 'github',
      event: 'create',
      payload: JSON.stringify(githubCreateBranch('int-003-cicd-integration-endpoints')),
    };
    expect((await client.post('/rules/simulate', form)).status).toBe(403);
    const response = await client.post('/rules/simulate', { ...form, _csrf: await client.csrf() });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('INT-003.status: &quot;draft&quot; → &quot;in_progress&quot;');
    expect(html).toContain('1 operation(s) would be applied');
    expect(await storyStatus('INT-003')).toBe('draft');
    const notJson = await client.post('/rules/simulate', {
      ...form,
      payload: '{',
      _csrf: await client.csrf(),
    });
    expect(notJson.status).toBe(400);
  });

  it('lists the rules in force, defaults first', async () => {
    const client = await signIn(server.url, await createToken(['stories:read']));
    const html = await (await client.get('/rules')).text();
    expect(html).toContain('data-rule="default: branch created or pushed → in_progress"');
    expect(html).toContain('<td>default</td>');
  });

  it('creates a token shown once, lists it, and revokes it, all behind CSRF and tokens:admin', async () => {
    const client = await signIn(server.url, server.token);
    const csrf = await client.csrf();
    expect((await client.post('/tokens', { name: 'ci', scope: 'stories:read' })).status).toBe(403);
    const body = new URLSearchParams({ _csrf: csrf, name: 'ci <bot>', expires: '30' });
    body.append('scope', 'stories:read');
    body.append('scope', 'ci:events');
    const created = await fetch(`${server.url}/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: client.cookie },
      body: body.toString(),
    });
    expect(created.status).toBe(201);
    const page = await created.text();
    const secret =
      /<output id="new-token" class="secret">(sfp_[^<]+)<\/output>/.exec(page)?.[1] ?? '';
    expect(page).toContain('ci &lt;bot&gt;');
    const me = await http(server.url, 'GET', '/api/v1/stories/API-001', { token: secret });
    expect(me.status).toBe(200);
    const listed = await (await client.get('/tokens')).text();
    expect(listed).not.toContain(secret);
    expect(listed).toContain('stories:read, ci:events');
    const id = /<tr data-token="([^"]+)"><td>ci &lt;bot&gt;/.exec(listed)?.[1] ?? '';
    expect((await client.post(`/tokens/${id}/revoke`, { _csrf: csrf })).status).toBe(303);
    expect(
      (await http(server.url, 'GET', '/api/v1/stories/API-001', { token: secret })).status,
    ).toBe(401);
    const reader = await signIn(server.url, await createToken(['stories:read']));
    expect((await reader.get('/tokens')).status).toBe(403);
  });

  it('verifies the audit chain on request and refuses that post without CSRF', async () => {
    const client = await signIn(server.url, server.token);
    expect((await client.post('/audit/verify', {})).status).toBe(403);
    const response = await client.post('/audit/verify', { _csrf: await client.csrf() });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/Chain intact: \d+ entries verified/);
  });

  it('keeps deliveries and the audit log from a token without their scopes', async () => {
    const client = await signIn(server.url, await createToken(['stories:read']));
    expect((await client.get('/deliveries')).status).toBe(403);
    expect((await client.get('/audit')).status).toBe(403);
    const html = await (await client.get('/')).text();
    expect(html).not.toContain('href="/deliveries"');
  });
});
