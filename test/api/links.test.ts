// One way to link: POST /stories/{id}/links and the batch `link` operation check the same
// repository globs and name format, and store and audit the same way (architecture review D14).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

describeEachStore('links through both doors', (open) => {
  let server: TestServer;
  let acme: string;
  const as = (token: string) => (method: string, path: string, json?: unknown) =>
    http(server.url, method, `/api/v1${path}`, { token, ...(json === undefined ? {} : { json }) });
  const admin = () => as(server.token);
  const linksOf = async (id: string) =>
    ((await admin()('GET', `/stories/${id}/links`)).body.items as any[]).map(
      (link) => `${link.type}:${link.repository}:${link.key}`,
    );

  beforeAll(async () => {
    server = await startTestServer(await open());
    await admin()('POST', '/stories/import', {
      documents: fixtureStories().map((story) => story.text),
    });
    acme = (
      await admin()('POST', '/tokens', {
        name: 'acme only',
        scopes: ['stories:write'],
        repositories: ['acme/*'],
      })
    ).body.token;
  });
  afterAll(async () => {
    await server.close();
  });

  it('a token limited to acme/* cannot link evil/other through POST /stories/{id}/links', async () => {
    const refused = await as(acme)('POST', '/stories/INT-003/links', {
      links: [{ type: 'branch', repository: 'evil/other', key: 'main' }],
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      type: 'urn:storyflow:problem:forbidden',
      repository: 'evil/other',
    });
    expect(await linksOf('INT-003')).not.toContain('branch:evil/other:main');
  });

  it('nor through POST /batch, atomic or not, and nothing of an atomic batch is stored', async () => {
    const evil = {
      op: 'link',
      id: 'INT-003',
      link: { type: 'pr', repository: 'evil/other', key: '7' },
    };
    const fine = {
      op: 'link',
      id: 'INT-003',
      link: { type: 'pr', repository: 'acme/shop', key: '8' },
    };
    const atomic = await as(acme)('POST', '/batch', { atomic: true, operations: [fine, evil] });
    expect(atomic.status).toBe(403);
    expect(atomic.body).toMatchObject({ operation: 1, op: 'link', rolledBack: true });
    expect(atomic.body.detail).toContain('evil/other');
    expect(await linksOf('INT-003')).not.toContain('pr:acme/shop:8');

    const each = await as(acme)('POST', '/batch', { atomic: false, operations: [evil, fine] });
    expect(each.status).toBe(200);
    expect(each.body.results.map((result: any) => result.status)).toEqual([403, 201]);
    expect(each.body.results[0].problem.type).toBe('urn:storyflow:problem:forbidden');
    const stored = await linksOf('INT-003');
    expect(stored).toContain('pr:acme/shop:8');
    expect(stored).not.toContain('pr:evil/other:7');
  });

  it('the batch refuses a repository that is not a repository name, as the route does', async () => {
    for (const repository of [
      'no slash here',
      'acme/',
      '/acme',
      'acme/shop extra',
      `a/${'x'.repeat(300)}`,
    ]) {
      const link = { type: 'branch', repository, key: 'main' };
      const batch = await admin()('POST', '/batch', {
        operations: [{ op: 'link', id: 'INT-003', link }],
      });
      expect(batch.status, repository).toBe(400);
      expect(batch.body.errors.map((error: any) => error.field)).toContain(
        'operations[0].link.repository',
      );
      const route = await admin()('POST', '/stories/INT-003/links', { links: [link] });
      expect(route.status, repository).toBe(400);
    }
    expect((await linksOf('INT-003')).some((link) => link.includes('no slash'))).toBe(false);
  });

  it('every stored field of a link is bounded, through both doors', async () => {
    const long = { type: 'branch', repository: 'acme/shop', key: 'k'.repeat(1025) };
    expect((await admin()('POST', '/stories/INT-003/links', { links: [long] })).status).toBe(400);
    const batch = await admin()('POST', '/batch', {
      operations: [
        { op: 'link', id: 'INT-003', link: { ...long, key: 'k', title: 't'.repeat(1025) } },
      ],
    });
    expect(batch.status).toBe(400);
    expect(batch.body.errors[0].field).toBe('operations[0].link.title');
  });

  it('both doors store and audit a link the same way', async () => {
    const link = { type: 'pipeline', repository: 'acme/api', key: 'feature/x', state: 'started' };
    const routed = await as(acme)('POST', '/stories/API-001/links', { links: [link] });
    expect(routed.status).toBe(200);
    expect(routed.body).toEqual({ linked: 1 });
    const batched = await as(acme)('POST', '/batch', {
      operations: [{ op: 'link', id: 'API-001', link: { ...link, state: 'success' } }],
    });
    expect(batched.body.results[0]).toMatchObject({
      status: 200,
      link: { story: 'API-001', repository: 'acme/api', state: 'success' },
    });
    const audit = (await admin()('GET', '/stories/API-001/history')).body.items.filter(
      (entry: any) => entry.action === 'story.linked',
    );
    expect(audit.map((entry: any) => [entry.before?.state ?? null, entry.after.state])).toEqual([
      [null, 'started'],
      ['started', 'success'],
    ]);
    expect((await as(acme)('POST', '/stories/NOPE-1/links', { links: [link] })).status).toBe(404);
  });
});
