// The console's repositories page over real HTTP: each configured repository with where its sync
// stands, its write-back pull request, and "Sync now" (queued for the sync runner, as a push is)
// behind CSRF and repositories:admin. A real bare git repository over file:// holds one story file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open-store.js';
import { acmeForge, startFakeGithub } from '../support/fake-github.js';
import { createGitRepository, type GitRepository } from '../support/git-repository.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { signIn } from './console-support.js';

const NAME = 'acme/shop';
let server: TestServer;
let repo: GitRepository;
let mirrors: string;

beforeEach(async () => {
  repo = createGitRepository();
  repo.write(
    'docs/stories/SHOP-1.md',
    '---\nid: SHOP-1\ntitle: Pay by card\nstatus: ready\n---\n\nBody.\n',
  );
  repo.commit('a story');
  repo.push();
  mirrors = mkdtempSync(join(tmpdir(), 'storyflow-mirrors-'));
  server = await startTestServer(await openStore('sqlite::memory:'), {
    config: {
      repositories: [
        {
          name: NAME,
          provider: 'github',
          url: repo.url,
          branch: 'main',
          stories: 'docs/stories/**/*.md',
          writeBack: 'off',
          onDelete: 'keep',
          credentials: { kind: 'none' },
        },
      ],
      git: { mirrorDir: mirrors, env: { PATH: process.env.PATH ?? '' } },
    },
  });
});
afterEach(async () => {
  await server.close();
  repo.cleanup();
  rmSync(mirrors, { recursive: true, force: true });
});

const rowOf = (page: string) =>
  /<tr data-repository="acme\/shop">(.*?)<\/tr>/s.exec(page)?.[1] ?? '';

describe('console repositories', () => {
  it('lists a repository never synced, then queues a sync with the CSRF token and shows it done', async () => {
    const client = await signIn(server.url, server.token);
    const page = await (await client.get('/repositories')).text();
    expect(page).toContain('<a href="/repositories" aria-current="page">Repositories</a>');
    expect(rowOf(page)).toContain('<td>acme/shop</td><td>main</td><td>0</td><td>never</td>');

    expect((await client.post('/repositories/acme%2Fshop/sync', {})).status).toBe(403);
    const queued = await client.post('/repositories/acme%2Fshop/sync', {
      _csrf: await client.csrf(),
    });
    expect(queued.status).toBe(303);
    expect(queued.headers.get('location')).toBe('/repositories?queued=acme%2Fshop');

    // The sync runner takes it, as it takes a push.
    let row = '';
    for (let attempt = 0; attempt < 200 && !row.includes('<code>'); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      row = rowOf(await (await client.get('/repositories')).text());
    }
    expect(row).toContain(`<code>${repo.head().slice(0, 12)}</code>`);
    expect(row).toMatch(/<td>main<\/td><td>1<\/td>/); // one story file bound
    const story = await http(server.url, 'GET', '/api/v1/stories/SHOP-1', { token: server.token });
    expect(story.body.title).toBe('Pay by card');

    const unknown = await client.post('/repositories/other%2Frepo/sync', {
      _csrf: await client.csrf(),
    });
    expect(unknown.status).toBe(404);
  });

  it('pull-request mode: links the pull request storyflow opened, or says why none can be', async () => {
    const fake = await startFakeGithub('gh-token');
    const restart = async (forges: boolean) => {
      await server.close();
      server = await startTestServer(await openStore('sqlite::memory:'), {
        config: {
          repositories: [
            {
              name: NAME,
              provider: 'github',
              url: repo.url,
              branch: 'main',
              stories: 'docs/stories/**/*.md',
              writeBack: 'pull-request',
              onDelete: 'keep',
              credentials: { kind: 'none' },
            },
          ],
          forges: forges ? [acmeForge(fake.url, 'gh-token')] : [],
          git: {
            mirrorDir: mkdtempSync(join(mirrors, 'm-')),
            env: { PATH: process.env.PATH ?? '' },
            writeBackDelayMs: 0,
          },
        },
      });
    };
    try {
      await restart(false);
      let client = await signIn(server.url, server.token);
      expect(rowOf(await (await client.get('/repositories')).text())).toContain(
        '<td>none: no github entry in forges: covers acme/shop, so no pull request is opened; the changes still go to storyflow/updates</td>',
      );

      await restart(true);
      const api = (method: string, path: string, json?: unknown) =>
        http(server.url, method, `/api/v1${path}`, {
          token: server.token,
          ...(json === undefined ? {} : { json }),
        });
      expect((await api('POST', '/repositories/acme%2Fshop/sync')).status).toBe(200);
      expect((await api('POST', '/stories/SHOP-1/transitions', { to: 'in_progress' })).status).toBe(
        200,
      );
      client = await signIn(server.url, server.token);
      let row = '';
      for (let attempt = 0; attempt < 200 && !row.includes('</a> open'); attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        row = rowOf(await (await client.get('/repositories')).text());
      }
      expect(row).toContain('<td><a href="https://github.com/acme/shop/pull/1">#1</a> open</td>');
    } finally {
      await fake.close();
    }
  });

  it('keeps the page, its menu entry and Sync now from a token without repositories:admin', async () => {
    const reader = (
      await http(server.url, 'POST', '/api/v1/tokens', {
        token: server.token,
        json: { name: 'reader', scopes: ['stories:read'] },
      })
    ).body.token as string;
    const client = await signIn(server.url, reader);
    expect((await client.get('/repositories')).status).toBe(403);
    expect(await (await client.get('/')).text()).not.toContain('href="/repositories"');
    const refused = await client.post('/repositories/acme%2Fshop/sync', {
      _csrf: await client.csrf(),
    });
    expect(refused.status).toBe(403);
  });
});
