// Preconditions are strict (issue 15, point 9): If-Match takes one strong ETag `"N"`, an
// If-Match and a body `version` that disagree are refused, and story ids have a maximum length.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

const document = (id: string, extra = '') => `---\nid: ${id}\ntitle: T\n${extra}---\n\nBody\n`;

describeEachStore('strict preconditions and story ids', (open) => {
  let server: TestServer;
  const api = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token, ...options });
  const version = async (id: string) => (await api('GET', `/stories/${id}`)).body.version;

  beforeEach(async () => {
    server = await startTestServer(await open());
    expect((await api('POST', '/stories/import', { text: document('PRE-1') })).status).toBe(200);
  });
  afterEach(async () => {
    await server.close();
  });

  const refused: [string, string, RegExp][] = [
    ['a weak ETag', 'W/"1"', /weak ETag never matches/],
    ['an unquoted version', '1', /not an ETag returned by this API/],
    ['a tag opened but not closed', '"1', /not an ETag returned by this API/],
    ['a tag closed but not opened', '1"', /not an ETag returned by this API/],
    ['a leading zero', '"01"', /not an ETag returned by this API/],
    ['an empty tag', '""', /not an ETag returned by this API/],
    ['a tag that is not a number', '"abc"', /not an ETag returned by this API/],
    ['a version of 16 digits', '"1000000000000000"', /not an ETag returned by this API/],
    ['a list of tags, even one that matches', '"1", "2"', /one ETag, e.g. "3", not a list/],
  ];

  it.each(refused)(
    'If-Match with %s (%s) answers 400 on every route and changes nothing',
    async (_, tag, message) => {
      const headers = { 'if-match': tag };
      const answers = [
        await api('PATCH', '/stories/PRE-1', { json: { title: 'changed' }, headers }),
        await api('POST', '/stories/PRE-1/transitions', { json: { to: 'ready' }, headers }),
        await api('DELETE', '/stories/PRE-1', { headers }),
        await api('PUT', '/rules', { json: { rules: [] }, headers }),
      ];
      for (const answer of answers) {
        expect(answer.status).toBe(400);
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(answer.body.type).toBe('urn:storyflow:problem:bad-request');
        expect(answer.body.errors).toEqual([
          { field: 'If-Match', message: expect.stringMatching(message) },
        ]);
      }
      expect(await version('PRE-1')).toBe(1);
    },
  );

  it('a strong "N" and * are taken; whitespace around the tag is ignored', async () => {
    const first = await api('PATCH', '/stories/PRE-1', {
      json: { title: 'one' },
      headers: { 'if-match': ' "1" ' },
    });
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).toBe('"2"');
    const stale = await api('PATCH', '/stories/PRE-1', {
      json: { title: 'two' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    const any = await api('PATCH', '/stories/PRE-1', {
      json: { title: 'three' },
      headers: { 'if-match': '*' },
    });
    expect(any.status).toBe(200);
    expect(await version('PRE-1')).toBe(3);
  });

  it('If-Match and a body version that disagree answer 400 naming version; agreeing ones apply', async () => {
    const disagree = await api('PATCH', '/stories/PRE-1', {
      json: { title: 'changed', version: 2 },
      headers: { 'if-match': '"1"' },
    });
    expect(disagree.status).toBe(400);
    expect(disagree.body.type).toBe('urn:storyflow:problem:validation');
    expect(disagree.body.errors).toEqual([
      {
        field: 'version',
        message: expect.stringContaining('disagrees with the expected version 1'),
      },
    ]);
    expect(await version('PRE-1')).toBe(1);
    // The same in a batch: the operation's version and its changes' version.
    const batch = await api('POST', '/batch', {
      json: {
        atomic: false,
        operations: [
          { op: 'update', id: 'PRE-1', changes: { title: 'x', version: 2 }, version: 1 },
        ],
      },
    });
    expect(batch.body.results[0]).toMatchObject({
      status: 400,
      problem: { type: 'urn:storyflow:problem:validation' },
    });
    expect(await version('PRE-1')).toBe(1);
    const agree = await api('PATCH', '/stories/PRE-1', {
      json: { title: 'changed', version: 1 },
      headers: { 'if-match': '"1"' },
    });
    expect(agree.status).toBe(200);
    expect(agree.body).toMatchObject({ title: 'changed', version: 2 });
  });

  it('a story id has at most 9 digits (20 characters in all): 400 beyond, at every door', async () => {
    const longest = 'ABCDEFGHIJ-123456789';
    const tooLong = 'ABC-1234567890';
    expect(longest).toHaveLength(20);
    const created = await api('POST', '/stories', { json: { id: longest, title: 'T' } });
    expect(created.status).toBe(201);
    expect((await api('GET', `/stories/${longest}`)).status).toBe(200);

    const answers = [
      await api('GET', `/stories/${tooLong}`),
      await api('PATCH', `/stories/${tooLong}`, { json: { title: 'x' } }),
      await api('POST', '/stories', { json: { id: tooLong, title: 'T' } }),
      await api('POST', '/stories/import', { text: document(tooLong) }),
      await api('POST', '/stories/import', {
        text: document('PRE-2', `dependencies: [${tooLong}]\n`),
      }),
    ];
    for (const answer of answers) expect(answer.status).toBe(400);
    expect(answers[2]?.body.errors[0].field).toMatch(/id/);
    expect(answers[3]?.body.errors[0]).toMatchObject({
      field: 'id',
      line: 2,
      message: expect.stringContaining('1-9 digits'),
    });
    expect(answers[4]?.body.errors[0]).toMatchObject({ field: 'dependencies' });
    const batch = await api('POST', '/batch', {
      json: { operations: [{ op: 'create', story: { id: tooLong, title: 'T' } }] },
    });
    expect(batch.status).toBe(400);
    expect((await api('GET', '/stories')).body.items.map((s: { id: string }) => s.id)).toEqual([
      longest,
      'PRE-1',
    ]);
  });
});
