// Reading a story document is linear in its size, and documents over the documented limits
// (docs/story-documents.md, "Limits") are refused with a 400 naming the limit (security review
// finding 3: a 118 KB story with 10,000 keys took 13-17 s to import and blocked every list).
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { STORY_DOCUMENT_LIMITS } from '../../src/domain/story/story-document.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

/** The review's reproduction: `id`, `title` and `count` keys `kN: N` (118 KB for 10,000). */
function manyKeys(id: string, count: number): string {
  const keys = Array.from({ length: count }, (_, index) => `k${index}: ${index}`);
  return `${['---', `id: ${id}`, 'title: keys', ...keys, '---', ''].join('\n')}\n`;
}

/** The fastest of `runs` calls, in milliseconds (a loaded machine only ever makes one slower). */
async function fastest(runs: number, call: (run: number) => Promise<void>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await call(run);
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/**
 * The time budget for handling `text`: `ms` as the issue states it, or on a machine too loaded
 * for that, 6× what the `yaml` library alone takes to parse its frontmatter there and then
 * (a handler that parses once and does linear work besides stays well within that; the
 * quadratic parse took 50-100× as long).
 */
async function budget(ms: number, text: string): Promise<number> {
  const frontmatter = text.slice(text.indexOf('\n') + 1, text.lastIndexOf('---'));
  const yamlAlone = await fastest(3, async () => {
    parseDocument(frontmatter, { schema: 'core', version: '1.2', uniqueKeys: false });
  });
  return Math.max(ms, 6 * yamlAlone);
}

describeEachStore('story documents within limits, read in linear time', (open) => {
  let server: TestServer;
  const api = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token, ...options });

  beforeEach(async () => {
    // A larger request body than the default, so that the document limits are what refuses.
    server = await startTestServer(await open(), { config: { storiesBodyLimit: 4_194_304 } });
  });
  afterEach(async () => {
    await server.close();
  });

  it('the 10,000-key document of the security review imports in under 200 ms', async () => {
    expect(manyKeys('KEYS-0', 10_000).length).toBeGreaterThan(117_000);
    const imported: number[] = [];
    // Each run imports a new story (a new text: nothing is answered from a cache).
    const took = await fastest(3, async (run) => {
      const answer = await api('POST', '/stories/import', {
        text: manyKeys(`KEYS-${run + 1}`, 10_000),
      });
      expect(answer.status).toBe(200);
      expect(answer.body.items).toEqual([
        { id: `KEYS-${run + 1}`, action: 'created', created: true, version: 1 },
      ]);
      imported.push(run + 1);
    });
    expect(imported).toEqual([1, 2, 3]);
    const allowed = await budget(200, manyKeys('KEYS-4', 10_000));
    expect(took, `fastest import ${took} ms, allowed ${allowed} ms`).toBeLessThan(allowed);
  });

  it('a stored 10,000-key story is read, listed, edited and deleted quickly', async () => {
    const text = manyKeys('KEYS-1', 10_000);
    expect((await api('POST', '/stories/import', { text })).status).toBe(200);
    const read = await fastest(3, async () => {
      const story = await api('GET', '/stories/KEYS-1');
      expect(story.status).toBe(200);
      expect(story.body.k9999).toBe(9999);
    });
    const listed = await fastest(3, async () => {
      const list = await api('GET', '/stories?limit=500');
      expect(list.body.items.map((item: { id: string }) => item.id)).toEqual(['KEYS-1']);
    });
    let version = 1;
    const edited = await fastest(3, async (run) => {
      const patched = await api('PATCH', '/stories/KEYS-1', {
        json: { k5000: `edited ${run}` },
        headers: { 'if-match': `"${version}"` },
      });
      expect(patched.status).toBe(200);
      version = patched.body.version;
    });
    const exported = await api('GET', '/stories/KEYS-1.md');
    expect(exported.text).toBe(text.replace('k5000: 5000', 'k5000: edited 2'));
    const deleted = await fastest(1, async () => {
      expect((await api('DELETE', '/stories/KEYS-1')).status).toBe(204);
    });
    // The review measured 11.7 s, 16.9 s, 19.1 s and 7 s.
    const allowed = await budget(200, text);
    const times = JSON.stringify({ read, listed, edited, deleted, allowed });
    expect(read, times).toBeLessThan(allowed);
    expect(listed, times).toBeLessThan(allowed);
    expect(edited, times).toBeLessThan(allowed);
    expect(deleted, times).toBeLessThan(allowed);
  });

  const limits = STORY_DOCUMENT_LIMITS;
  const refusals: [string, () => string, RegExp][] = [
    [
      `more than ${limits.keys} keys`,
      () => manyKeys('KEYS-9', limits.keys),
      new RegExp(`more than ${limits.keys} keys \\(the limit\\)`),
    ],
    [
      `a frontmatter over ${limits.frontmatterBytes} bytes`,
      () => `---\nid: BIG-1\ntitle: "${'x'.repeat(limits.frontmatterBytes)}"\n---\n`,
      new RegExp(
        `the frontmatter is \\d+ bytes, over the limit of ${limits.frontmatterBytes} bytes`,
      ),
    ],
    [
      `a document over ${limits.documentBytes} bytes`,
      () => `---\nid: BIG-1\ntitle: big\n---\n\n${'é'.repeat(limits.documentBytes / 2)}`,
      new RegExp(`the document is \\d+ bytes, over the limit of ${limits.documentBytes} bytes`),
    ],
    [
      `nesting deeper than ${limits.depth} levels`,
      () =>
        `---\nid: DEEP-1\ntitle: deep\nx: ${'['.repeat(limits.depth)}${']'.repeat(limits.depth)}\n---\n`,
      new RegExp(`nested deeper than ${limits.depth} levels \\(the limit\\)`),
    ],
    [
      'nesting deep enough to exhaust the stack',
      () => `---\nid: DEEP-1\ntitle: deep\nx: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n---\n`,
      new RegExp(`nested deeper than ${limits.depth} levels \\(the limit\\)`),
    ],
    [
      `more than ${limits.aliases} aliases`,
      () =>
        `---\nid: ALIAS-1\ntitle: &t aliased\n${Array.from({ length: limits.aliases + 1 }, (_, i) => `a${i}: *t`).join('\n')}\n---\n`,
      new RegExp(`more than ${limits.aliases} aliases \\(the limit\\)`),
    ],
  ];

  it.each(refusals)('%s: 400 naming the limit, nothing stored', async (_, document, message) => {
    const text = document();
    for (const answer of [
      await api('POST', '/stories/import', { text }),
      await api('POST', '/stories/import', { json: { documents: [text] } }),
    ]) {
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body.type).toBe('urn:storyflow:problem:invalid-document');
      expect(answer.body.errors[0].message).toMatch(message);
    }
    const list = await api('GET', '/stories');
    expect(list.body.items).toEqual([]);
  });

  it('exactly at the key limit a document is accepted', async () => {
    // `id` and `title` are two of the keys.
    const answer = await api('POST', '/stories/import', {
      text: manyKeys('KEYS-8', limits.keys - 2),
    });
    expect(answer.status).toBe(200);
  });
});
