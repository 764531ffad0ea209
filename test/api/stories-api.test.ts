import { afterEach, beforeEach, expect, it } from 'vitest';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

/** The test server's time: status changes date the document's bookkeeping lines with it. */
const NOW = '2026-12-04T10:00:00.000Z';

describeEachStore('stories API over HTTP', (open) => {
  let server: TestServer;
  let url: string;
  const api = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
    http(url, method, `/api/v1${path}`, { token: server.token, ...options });
  const importFixtures = () =>
    api('POST', '/stories/import', { json: { documents: fixtureStories().map((s) => s.text) } });

  beforeEach(async () => {
    server = await startTestServer(await open(), { clock: { now: () => new Date(NOW) } });
    url = server.url;
  });
  afterEach(async () => {
    await server.close();
  });

  it('imports every fixture story and exports each one byte for byte', async () => {
    const imported = await importFixtures();
    expect(imported.status).toBe(200);
    expect(imported.body.items.map((item: { id: string }) => item.id)).toEqual(
      fixtureStories().map((story) => story.id),
    );
    expect(imported.body.items.every((item: { created: boolean }) => item.created)).toBe(true);
    for (const story of fixtureStories()) {
      const exported = await api('GET', `/stories/${story.id}.md`);
      expect(exported.status).toBe(200);
      expect(exported.headers.get('content-type')).toMatch(/^text\/markdown/);
      expect(exported.headers.get('etag')).toBe('"1"');
      expect(exported.bytes.equals(story.bytes)).toBe(true);
    }
  });

  it('re-importing unchanged documents changes nothing; a changed one is updated', async () => {
    await importFixtures();
    const again = await importFixtures();
    expect(again.body.items.every((item: { action: string }) => item.action === 'unchanged')).toBe(
      true,
    );
    const int003 = fixtureStories().find((story) => story.id === 'INT-003')!;
    const edited = int003.text.replace('status: draft', 'status: ready');
    const single = await api('POST', '/stories/import', { text: edited });
    expect(single.body.items).toEqual([
      { id: 'INT-003', action: 'updated', created: false, version: 2 },
    ]);
    const exported = await api('GET', '/stories/INT-003.md');
    expect(exported.text).toBe(edited);
  });

  it('rejects an import with a bad document naming the document, line and field, importing nothing', async () => {
    const good = fixtureStories()[0]!.text;
    const bad = '---\nid: BAD-1\ntitle: Fine\nlabels: not-a-list\n---\nbody\n';
    const answer = await api('POST', '/stories/import', { json: { documents: [good, bad] } });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body.type).toBe('urn:storyflow:problem:invalid-document');
    expect(answer.body.errors).toContainEqual(
      expect.objectContaining({ document: 1, field: 'labels', line: 4 }),
    );
    const list = await api('GET', '/stories');
    expect(list.body.items).toEqual([]);
  });

  it('answers a story as its frontmatter fields plus body and version, with an ETag', async () => {
    await importFixtures();
    const story = await api('GET', '/stories/INF-015');
    expect(story.status).toBe(200);
    expect(story.headers.get('etag')).toBe('"1"');
    expect(story.body).toMatchObject({
      id: 'INF-015',
      title: 'Container image and compose stack for the story API',
      status: 'in_review',
      estimate: '3sp',
      labels: ['infrastructure', 'docker'],
      market: null,
      created: '2025-08-20',
      emit_metadata: { notes: 'image published to the internal registry' },
      version: 1,
    });
    expect(story.body.body).toContain('# INF-015: Container image');
  });

  it('filters the list by status, epic, label and text, and pages with a cursor', async () => {
    await importFixtures();
    const ids = async (query: string) =>
      (await api('GET', `/stories?${query}`)).body.items.map((item: { id: string }) => item.id);
    expect(await ids('status=draft')).toEqual(['INT-003', 'UI-007']);
    expect(await ids('epic=integration')).toEqual(['INT-003', 'INT-004']);
    expect(await ids('label=docker')).toEqual(['INF-015']);
    expect(await ids('q=slack')).toEqual(['INT-004']);
    expect(await ids('status=draft&label=ui')).toEqual(['UI-007']);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await api('GET', `/stories?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(fixtureStories().map((story) => story.id));

    const bad = await api('GET', '/stories?cursor=garbage');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('cursor');
    const badLimit = await api('GET', '/stories?limit=0');
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.errors[0].field).toBe('querystring.limit');
  });

  it('creates a story from JSON with the workflow initial status, Location and ETag', async () => {
    const created = await api('POST', '/stories', {
      json: { id: 'NEW-1', title: 'A new story', labels: ['api'], body: '# NEW-1\n' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/v1/stories/NEW-1');
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({
      id: 'NEW-1',
      status: 'draft',
      labels: ['api'],
      version: 1,
    });
    const document = await api('GET', '/stories/NEW-1.md');
    expect(document.text).toMatch(/^---\nid: NEW-1\ntitle: A new story\n/);
    expect(document.text).toContain('\n---\n\n# NEW-1\n');

    const duplicate = await api('POST', '/stories', { json: { id: 'NEW-1', title: 'Again' } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.type).toBe('urn:storyflow:problem:story-exists');
  });

  it('refuses a story with bad fields with a 400 naming each field', async () => {
    const badId = await api('POST', '/stories', { json: { id: 'not-an-id', title: 'x' } });
    expect(badId.status).toBe(400);
    expect(badId.body.errors[0].field).toBe('id');
    const noTitle = await api('POST', '/stories', { json: { id: 'OK-1' } });
    expect(noTitle.status).toBe(400);
    expect(noTitle.body.errors[0].field).toBe('title');
    const badStatus = await api('POST', '/stories', {
      json: { id: 'OK-1', title: 'x', status: 'wip' },
    });
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.errors[0].field).toBe('status');
    const badLabels = await api('POST', '/stories', {
      json: { id: 'OK-1', title: 'x', labels: 'one' },
    });
    expect(badLabels.status).toBe(400);
    expect(badLabels.body.errors[0].field).toBe('labels');
  });

  it('a PATCH rewrites only the changed line and bumps the version', async () => {
    await importFixtures();
    const before = fixtureStories().find((story) => story.id === 'INF-015')!.text;
    const patched = await api('PATCH', '/stories/INF-015', {
      json: { priority: 'high' },
      headers: { 'if-match': '"1"' },
    });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('etag')).toBe('"2"');
    expect(patched.body).toMatchObject({ priority: 'high', version: 2 });
    const after = (await api('GET', '/stories/INF-015.md')).text;
    const beforeLines = before.split('\n');
    const afterLines = after.split('\n');
    expect(afterLines).toHaveLength(beforeLines.length);
    const changed = afterLines.filter((line, index) => line !== beforeLines[index]);
    expect(changed).toEqual(['priority: high']);
  });

  it('a PATCH with a stale If-Match answers 412 and changes nothing', async () => {
    await importFixtures();
    await api('PATCH', '/stories/API-001', { json: { priority: 'low' } });
    const stale = await api('PATCH', '/stories/API-001', {
      json: { priority: 'medium' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.type).toBe('urn:storyflow:problem:precondition-failed');
    expect(stale.headers.get('etag')).toBe('"2"');
    const story = await api('GET', '/stories/API-001');
    expect(story.body).toMatchObject({ priority: 'low', version: 2 });
  });

  it('concurrent PATCHes without If-Match never lose a write', async () => {
    await importFixtures();
    const writers = Array.from({ length: 12 }, (_, index) =>
      api('PATCH', '/stories/INT-004', { json: { [`field_${index}`]: index } }),
    );
    const answers = await Promise.all(writers);
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    const story = await api('GET', '/stories/INT-004');
    expect(story.body.version).toBe(13);
    for (let index = 0; index < 12; index++) expect(story.body[`field_${index}`]).toBe(index);
  });

  it('concurrent PATCHes with the same If-Match: exactly one wins, the rest get 412', async () => {
    await importFixtures();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        api('PATCH', '/stories/INT-004', {
          json: { owner: `owner-${index}` },
          headers: { 'if-match': '"1"' },
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 412)).toHaveLength(7);
    expect((await api('GET', '/stories/INT-004')).body.version).toBe(2);
  });

  it('transitions follow the workflow and a refused one lists the allowed targets', async () => {
    await importFixtures();
    const refused = await api('POST', '/stories/INT-003/transitions', { json: { to: 'accepted' } });
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('urn:storyflow:problem:transition-not-allowed');
    expect(refused.body.allowed).toEqual(['ready', 'in_progress', 'blocked', 'cancelled']);

    const moved = await api('POST', '/stories/INT-003/transitions', {
      json: { to: 'in_progress', reason: 'work started' },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ status: 'in_progress', version: 2 });
    // The status line, last_updated and the Started lifecycle line change; nothing else does.
    const document = (await api('GET', '/stories/INT-003.md')).text;
    expect(document).toBe(
      fixtureStories()
        .find((story) => story.id === 'INT-003')!
        .text.replace('status: draft', 'status: in_progress')
        .replace('last_updated: 2025-08-28', 'last_updated: 2026-12-04')
        .replace(
          '- Started: [date] by [implementer]  \n',
          '- Started: 2026-12-04 by STORYFLOW_ADMIN_TOKEN  \n',
        ),
    );

    const unknown = await api('POST', '/stories/INT-003/transitions', { json: { to: 'wip' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].field).toBe('to');

    const patchRefused = await api('PATCH', '/stories/INT-003', { json: { status: 'accepted' } });
    expect(patchRefused.status).toBe(409);
  });

  it('deletes a story, honouring If-Match', async () => {
    await importFixtures();
    const stale = await api('DELETE', '/stories/UI-007', { headers: { 'if-match': '"5"' } });
    expect(stale.status).toBe(412);
    const deleted = await api('DELETE', '/stories/UI-007', { headers: { 'if-match': '"1"' } });
    expect(deleted.status).toBe(204);
    const gone = await api('GET', '/stories/UI-007');
    expect(gone.status).toBe(404);
    expect(gone.body.type).toBe('urn:storyflow:problem:story-not-found');
  });

  it('refuses a body over 1 MB with a 413 problem', async () => {
    const huge = `---\nid: BIG-1\ntitle: Big\n---\n${'x'.repeat(1024 * 1024 + 10)}`;
    const answer = await api('POST', '/stories/import', { text: huge });
    expect(answer.status).toBe(413);
    expect(answer.body.type).toBe('urn:storyflow:problem:payload-too-large');
  });

  it('answers unknown routes and malformed JSON with problem+json', async () => {
    const missing = await http(url, 'GET', '/api/v1/nothing-here', { token: server.token });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const malformed = await api('POST', '/stories', {
      text: '{"id":',
      contentType: 'application/json',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.type).toBe('urn:storyflow:problem:bad-request');
  });
});
