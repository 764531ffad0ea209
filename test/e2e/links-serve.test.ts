// POST /api/v1/stories/{id}/links on the real `serve` process with a SQLite file (its writer
// thread and shared write lock), and `storyflow ci link` against it, as docs/cli.md and
// docs/ci/github-actions.md tell a user to run it. The route used to read the story outside the
// transaction holding the write lock: it never answered and every later request hung.
import { describe, expect, it } from 'vitest';
import { runBin } from '../support/run-cli.js';
import {
  freePort,
  sqliteServeEnv,
  startServerProcess,
  useServerProcesses,
} from '../support/server-process.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';

describe('linking on serve with a SQLite file (real server process)', () => {
  const { processes, tempDir } = useServerProcesses();

  it('POST /stories/{id}/links answers, later requests too, and `storyflow ci link` links', async () => {
    const dir = tempDir('storyflow-links-');
    const server = await startServerProcess(
      {
        name: 'links',
        cwd: dir,
        port: await freePort(),
        env: sqliteServeEnv(dir, ADMIN_TOKEN),
      },
      processes,
    );
    /** Every request has a deadline: a lockup fails the test instead of hanging it. */
    const api = async (method: string, path: string, json?: unknown, token = ADMIN_TOKEN) => {
      const response = await fetch(`${server.baseUrl}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
        signal: AbortSignal.timeout(10_000),
      });
      return { status: response.status, body: (await response.json()) as any };
    };

    expect((await api('POST', '/stories', { id: 'LNK-1', title: 'Linked' })).status).toBe(201);
    const linked = await api('POST', '/stories/LNK-1/links', {
      links: [{ type: 'branch', repository: 'acme/shop', key: 'lnk-1-start', state: 'active' }],
    });
    expect(linked).toEqual({ status: 200, body: { linked: 1 } });
    // The write lock was given back: the next writes and reads answer.
    expect((await api('PATCH', '/stories/LNK-1', { title: 'Still linked' })).status).toBe(200);
    expect(
      (
        await api('POST', '/stories/NOPE-1/links', {
          links: [{ type: 'branch', repository: 'a/b', key: 'x' }],
        })
      ).status,
    ).toBe(404);

    const acme = await api('POST', '/tokens', {
      name: 'pipeline',
      scopes: ['stories:write'],
      repositories: ['acme/*'],
    });
    expect(acme.status).toBe(201);
    const ciLink = (repository: string) =>
      runBin(
        [
          'ci',
          'link',
          '--story',
          'LNK-1',
          '--repository',
          repository,
          '--branch',
          'feature/lnk-1',
          '--sha',
          'a'.repeat(40),
          '--fail-on-error',
          '--attempts',
          '2',
        ],
        { STORYFLOW_URL: server.baseUrl, STORYFLOW_TOKEN: acme.body.token, HOME: dir },
        { timeoutMs: 30_000, cwd: dir },
      );
    const ran = await ciLink('acme/shop');
    expect(ran.code, ran.stderr).toBe(0);
    const refused = await ciLink('evil/other');
    expect(refused.code, refused.stderr).not.toBe(0);
    expect(refused.stderr).toContain('evil/other');

    const links = (await api('GET', '/stories/LNK-1/links')).body.items as any[];
    expect(links.map((link) => `${link.type} ${link.repository} ${link.key}`).sort()).toEqual([
      'branch acme/shop feature/lnk-1',
      'branch acme/shop lnk-1-start',
    ]);
    const history = (await api('GET', '/stories/LNK-1/history')).body.items as any[];
    expect(history.filter((entry) => entry.action === 'story.linked')).toHaveLength(2);
  }, 90_000);
});
