// `storyflow repos sync` prints progress lines on stderr while the server imports, read from
// GET /api/v1/repositories/{name} beside the running POST (a stand-in server that takes 2.5 s).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/run-cli.js';

describe('storyflow repos sync', () => {
  let server: Server;
  let url: string;
  const started = { at: 0 };

  beforeEach(async () => {
    server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      if (request.method === 'POST' && request.url === '/api/v1/repositories/acme%2Fshop/sync') {
        started.at = Date.now();
        setTimeout(() => {
          response.end(
            JSON.stringify({
              repository: 'acme/shop',
              branch: 'main',
              fromSha: null,
              sha: 'f'.repeat(40),
              created: ['INT-1'],
              updated: [],
              unchanged: [],
              renamed: [],
              unbound: [],
              cancelled: [],
              deleted: [],
              conflicts: [{ storyId: 'INT-7', paths: ['a/INT-7.md', 'b/INT-7.md'] }],
              errors: [{ path: 'docs/stories/README.md', message: 'frontmatter is missing' }],
              merged: ['INT-3'],
              mergeConflicts: [
                { id: 'cfl_1', storyId: 'INT-3', path: 'docs/stories/INT-3.md', key: 'priority' },
              ],
            }),
          );
        }, 2500);
        return;
      }
      if (request.method === 'GET' && request.url === '/api/v1/repositories/acme%2Fshop') {
        const elapsed = Date.now() - started.at;
        response.end(
          JSON.stringify({
            name: 'acme/shop',
            progress:
              elapsed < 1500
                ? { phase: 'reading', done: 2000, total: 5000 }
                : { phase: 'importing', done: 3100, total: 4998 },
          }),
        );
        return;
      }
      response.statusCode = 404;
      response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('prints progress while the sync runs, then the summary with conflicts and files not imported', async () => {
    const run = await runCliInProcess(['repos', 'sync', 'acme/shop', '--url', url, '--token', 't']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('acme/shop: reading 2000/5000 files\n');
    expect(run.stderr).toContain('acme/shop: importing 3100/4998 files\n');
    expect(run.stdout).toBe(
      `acme/shop: synced to ffffffffffff: 1 created, 0 updated, 0 unchanged, 1 merged\n` +
        '  conflict: INT-7 is in a/INT-7.md and b/INT-7.md; neither was imported\n' +
        "  INT-3 priority changed on both sides: the repository's value was kept (cfl_1)\n" +
        '  not imported: docs/stories/README.md: frontmatter is missing\n',
    );
  });
});
