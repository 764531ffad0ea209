import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open-store.js';
import { FIXTURE_STORIES_DIR, fixtureStories } from '../support/fixture-stories.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';

describe('storyflow import and export', () => {
  /** The fixture stories, byte fixtures included (CR LF, BOM, multi-byte, no final newline). */
  const count = fixtureStories().length;
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer(await openStore('sqlite::memory:'));
  });
  afterEach(async () => {
    await server.close();
  });

  it('imports a directory of stories, skipping files without frontmatter, with a summary line', async () => {
    const run = await runCliInProcess([
      'import',
      FIXTURE_STORIES_DIR,
      '--url',
      server.url,
      '--token',
      server.token,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        `^Imported ${count} stories from .*: ${count} created, 0 updated, 0 unchanged; skipped 1 file\\(s\\) without frontmatter: README.md\n$`,
      ),
    );
    const again = await runCliInProcess(['import', FIXTURE_STORIES_DIR], {
      STORYFLOW_URL: server.url,
      STORYFLOW_TOKEN: server.token,
    });
    expect(again.stdout).toContain(`0 created, 0 updated, ${count} unchanged`);
  });

  it('exports every story to DIR/<id>.md with the exact bytes that were imported', async () => {
    await runCliInProcess([
      'import',
      FIXTURE_STORIES_DIR,
      '--url',
      server.url,
      '--token',
      server.token,
    ]);
    const out = mkdtempSync(join(tmpdir(), 'storyflow-export-'));
    const run = await runCliInProcess([
      'export',
      join(out, 'stories'),
      '--url',
      server.url,
      '--token',
      server.token,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`Exported ${count} stories to ${join(out, 'stories')}\n`);
    expect(readdirSync(join(out, 'stories')).sort()).toEqual(fixtureStories().map((s) => s.file));
    for (const story of fixtureStories()) {
      expect(readFileSync(join(out, 'stories', story.file)).equals(story.bytes)).toBe(true);
    }
  });

  it('a bad document fails the import with exit 1, naming the file, line and field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storyflow-bad-'));
    writeFileSync(join(dir, 'GOOD-1.md'), '---\nid: GOOD-1\ntitle: Good\n---\n');
    writeFileSync(join(dir, 'BAD-1.md'), '---\nid: BAD-1\ntitle: Bad\nstatus: wip\n---\n');
    const run = await runCliInProcess([
      'import',
      dir,
      '--url',
      server.url,
      '--token',
      server.token,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('BAD-1.md:line 4: status:');
    expect(await server.store.stories.countStories()).toBe(0);
  });

  it('a file that is not UTF-8 stops the import before anything is sent, naming file and byte offset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storyflow-latin1-'));
    writeFileSync(join(dir, 'GOOD-1.md'), '---\nid: GOOD-1\ntitle: Good\n---\n');
    const latin1 = Buffer.from('---\nid: LAT-1\ntitle: Caf\xe9\n---\n', 'latin1');
    writeFileSync(join(dir, 'LAT-1.md'), latin1);
    // A README that is not a story is skipped as before, whatever its encoding.
    writeFileSync(join(dir, 'README.md'), Buffer.from('Notes \xe9\n', 'latin1'));
    const run = await runCliInProcess([
      'import',
      dir,
      '--url',
      server.url,
      '--token',
      server.token,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `LAT-1.md: not valid UTF-8: the byte at offset ${latin1.indexOf(0xe9)} (0xe9 0x0a 0x2d 0x2d)`,
    );
    expect(await server.store.stories.countStories()).toBe(0);
  });

  it('a missing token is reported as the server refusing it, with exit 1', async () => {
    const run = await runCliInProcess(['import', FIXTURE_STORIES_DIR, '--url', server.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('failed with 401');
  });

  it('an unreachable server exits 3 with a message naming the URL', async () => {
    const run = await runCliInProcess(['export', tmpdir(), '--url', 'http://127.0.0.1:9']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('cannot reach the storyflow server at http://127.0.0.1:9');
  });

  it('a missing argument or unknown command exits 2 with usage help', async () => {
    expect((await runCliInProcess(['import'])).code).toBe(2);
    const unknown = await runCliInProcess(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command');
    const missingDir = await runCliInProcess([
      'import',
      '/does/not/exist',
      '--url',
      server.url,
      '--token',
      server.token,
    ]);
    expect(missingDir.code).toBe(2);
  });
});
