// The docs-walk reproduction, as docs/cli.md tells a new user: `storyflow ci link` against a
// real `serve` on a SQLite file. It once never got an answer, wedged every later /api/v1
// request, and the CLI exited 0 with a "cannot reach the server" warning. Run `npm run build`
// first (npm test does).
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fixtureStories } from '../support/fixture-stories.js';
import { runBin } from '../support/run-cli.js';
import { freePort, startServerProcess, useServerProcesses } from '../support/server-process.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const { processes, tempDir } = useServerProcesses();

it('storyflow ci link on serve with a SQLite file stores the link, exits 0, and the server keeps answering', async () => {
  const dir = tempDir('storyflow-ci-link-');
  const server = await startServerProcess(
    {
      name: 'ci-link',
      cwd: dir,
      port: await freePort(),
      env: {
        STORYFLOW_DATABASE_URL: `sqlite:${join(dir, 'storyflow.db')}`,
        STORYFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
        STORYFLOW_LOG_LEVEL: 'warn',
      },
    },
    processes,
  );
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${server.baseUrl}/api/v1${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        'content-type': 'application/json',
        ...init.headers,
      },
      signal: AbortSignal.timeout(5000),
    });
  const story = fixtureStories().find((fixture) => fixture.id === 'INT-003')!;
  expect(
    (
      await api('/stories/import', {
        method: 'POST',
        body: JSON.stringify({ documents: [story.text] }),
      })
    ).status,
  ).toBe(200);

  const run = await runBin(
    [
      'ci',
      'link',
      '--story',
      'INT-003',
      '--repository',
      'acme/shop',
      '--branch',
      'feature/INT-003-webhooks',
      '--sha',
      'a1b2c3d4',
      '--timeout',
      '5',
      '--attempts',
      '1',
    ],
    { STORYFLOW_URL: server.baseUrl, STORYFLOW_TOKEN: ADMIN_TOKEN },
    { timeoutMs: 20_000 },
  );
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).not.toContain('WARNING');

  const links = await api('/stories/INT-003/links');
  expect(links.status).toBe(200);
  expect(((await links.json()) as any).items).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ type: 'branch', key: 'feature/INT-003-webhooks' }),
    ]),
  );
  // Every later authenticated request still answers.
  expect((await api('/stories/INT-003')).status).toBe(200);
  const event = await api('/ci/events', {
    method: 'POST',
    body: JSON.stringify({
      kind: 'push',
      repository: 'acme/shop',
      branch: 'feature/INT-003-webhooks',
    }),
  });
  expect(event.status).toBe(200);
}, 60_000);
