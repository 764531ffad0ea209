// Bytes are bytes, at every door (issue 15, point 8): a story document comes back exactly as it
// went in, whatever its line endings, byte-order mark, characters or last line, through a
// single text/markdown import, a JSON import and a batch; and bytes that are not UTF-8 answer
// 400 naming the offset of the first bad byte, never stored as U+FFFD.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

const BYTE_FIXTURES = ['UTF-008', 'WIN-009', 'XBOM-010', 'ZNL-011'];

describeEachStore('story documents byte for byte, at every door', (open) => {
  let server: TestServer;
  const api = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token, ...options });
  /** A request with exactly these bytes as its body. */
  const send = async (path: string, contentType: string, body: Buffer) => {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': contentType },
      body,
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const exported = async (id: string) => (await api('GET', `/stories/${id}.md`)).bytes;

  beforeEach(async () => {
    server = await startTestServer(await open());
  });
  afterEach(async () => {
    await server.close();
  });

  it('the byte fixtures are what they claim to be', () => {
    const bytes = Object.fromEntries(fixtureStories().map((story) => [story.id, story.bytes]));
    expect(bytes['UTF-008']?.toString('latin1')).toMatch(/[\x80-\xff]/);
    expect(bytes['UTF-008']?.toString('utf8')).toContain('🚀');
    const win = bytes['WIN-009']?.toString('latin1') ?? '';
    expect(
      win
        .split('\n')
        .slice(0, -1)
        .every((line) => line.endsWith('\r')),
    ).toBe(true);
    expect(bytes['XBOM-010']?.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(bytes['ZNL-011']?.at(-1)).not.toBe(0x0a);
  });

  it.each(BYTE_FIXTURES)(
    '%s: a single text/markdown import is exported byte for byte',
    async (id) => {
      const story = fixtureStories().find((candidate) => candidate.id === id)!;
      const answer = await send('/stories/import', 'text/markdown', story.bytes);
      expect(answer.body.items).toEqual([{ id, action: 'created', created: true, version: 1 }]);
      expect((await exported(id)).equals(story.bytes)).toBe(true);
      // The same bytes again are the same document: nothing changes.
      const again = await send('/stories/import', 'text/markdown; charset=utf-8', story.bytes);
      expect(again.body.items[0]).toMatchObject({ action: 'unchanged', version: 1 });
    },
  );

  it.each(BYTE_FIXTURES)(
    '%s: a JSON import and a batch import are exported byte for byte',
    async (id) => {
      const story = fixtureStories().find((candidate) => candidate.id === id)!;
      const imported = await api('POST', '/stories/import', { json: { documents: [story.text] } });
      expect(imported.status).toBe(200);
      expect((await exported(id)).equals(story.bytes)).toBe(true);
      await api('DELETE', `/stories/${id}`);
      const batch = await api('POST', '/batch', {
        json: { operations: [{ op: 'import', document: story.text }] },
      });
      expect(batch.status).toBe(200);
      expect((await exported(id)).equals(story.bytes)).toBe(true);
    },
  );

  it.each(BYTE_FIXTURES)(
    '%s: a PATCH rewrites only its field and keeps every other byte',
    async (id) => {
      const story = fixtureStories().find((candidate) => candidate.id === id)!;
      await send('/stories/import', 'text/markdown', story.bytes);
      const patched = await api('PATCH', `/stories/${id}`, { json: { priority: 'low' } });
      expect(patched.status).toBe(200);
      const after = await exported(id);
      const eol = story.text.includes('\r\n') ? '\r\n' : '\n';
      const close = story.text.indexOf(`${eol}---`, 4) + eol.length;
      const expected = story.text.includes(`${eol}priority:`)
        ? story.text.replace(/priority: [^\r\n]*/, 'priority: low')
        : `${story.text.slice(0, close)}priority: low${eol}${story.text.slice(close)}`;
      expect(after.toString('utf8')).toBe(expected);
    },
  );

  const document = '---\nid: BAD-1\ntitle: T\n---\n\nCaf';
  const invalid: [string, Buffer][] = [
    ['a lone 0xFF byte', Buffer.from([0xff])],
    ['Latin-1 é (0xE9)', Buffer.from([0xe9, 0x20])],
    ['an overlong "/" (0xC0 0xAF)', Buffer.from([0xc0, 0xaf])],
    ['a UTF-8-encoded surrogate (0xED 0xA0 0x80)', Buffer.from([0xed, 0xa0, 0x80])],
    ['a truncated 3-byte character at the end', Buffer.from([0xe6, 0x97])],
  ];

  it.each(invalid)(
    'text/markdown with %s: 400 naming the byte offset, nothing stored',
    async (_, bad) => {
      const body = Buffer.concat([Buffer.from(document), bad]);
      const answer = await send('/stories/import', 'text/markdown', body);
      expect(answer.status).toBe(400);
      expect(answer.body.type).toBe('urn:storyflow:problem:invalid-document');
      expect(answer.body.byteOffset).toBe(document.length);
      expect(answer.body.detail).toContain(`offset ${document.length}`);
      expect(answer.body.errors).toEqual([
        { field: 'body', message: expect.stringContaining(`at offset ${document.length}`) },
      ]);
      expect((await api('GET', '/stories')).body.items).toEqual([]);
    },
  );

  it.each(invalid)(
    'a JSON import or batch with %s: 400 naming the byte offset, nothing stored',
    async (_, bad) => {
      for (const [path, prefix] of [
        ['/stories/import', '{"documents": ["'],
        ['/batch', '{"operations": [{"op": "import", "document": "'],
        ['/stories', '{"id": "BAD-1", "title": "'],
      ] as const) {
        const body = Buffer.concat([Buffer.from(prefix), bad, Buffer.from('"}]}')]);
        const answer = await send(path, 'application/json', body);
        expect(answer.status).toBe(400);
        expect(answer.body.type).toBe('urn:storyflow:problem:bad-request');
        expect(answer.body.byteOffset).toBe(prefix.length);
        expect(answer.body.detail).toContain(`offset ${prefix.length}`);
      }
      expect((await api('GET', '/stories')).body.items).toEqual([]);
    },
  );

  it('a JSON string with a lone surrogate escape is refused, naming the byte offset', async () => {
    const text = '---\nid: BAD-1\ntitle: "caf\\u00e9"\n---\n\nx\ud800y\n';
    const imported = await api('POST', '/stories/import', { json: { documents: [text] } });
    expect(imported.status).toBe(400);
    expect(imported.body.type).toBe('urn:storyflow:problem:invalid-document');
    const offset = Buffer.byteLength(text.slice(0, text.indexOf('\ud800')));
    expect(imported.body.errors[0]).toMatchObject({
      document: 0,
      message: expect.stringContaining(
        `lone surrogate (an unpaired \\ud800-\\udfff escape) at byte offset ${offset}`,
      ),
    });
    expect((await api('GET', '/stories')).body.items).toEqual([]);
  });
});
