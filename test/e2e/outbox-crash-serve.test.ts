// The outbox across a SIGKILL (real `serve` processes, one SQLite file): a pull request event
// queues a commit status and the linkback comment while the forge is down (nothing listens on
// its port); the server tries, fails, and is killed with both calls queued. The forge comes up,
// serve starts again, and each call reaches GitHub exactly once. Run `npm run build` first.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { githubPullRequest } from '../support/automation-payloads.js';
import { type FakeGithub, startFakeGithub } from '../support/fake-github.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import {
  freePort,
  type ServerProcess,
  sleep,
  sqliteServeEnv,
  startServerProcess,
  useServerProcesses,
} from '../support/server-process.js';
import { GITHUB_SECRET, postGithub } from '../support/webhooks.js';

const ADMIN = 'e2e-admin-token-0123456789';
const GITHUB_TOKEN = 'ghp_e2e_outbox_token';
const { processes, tempDir } = useServerProcesses();

interface Row {
  kind: string;
  status: string;
  attempts: number;
}

async function outbox(server: ServerProcess): Promise<Row[]> {
  const { status, body } = await http(server.baseUrl, 'GET', '/api/v1/outbox', { token: ADMIN });
  expect(status).toBe(200);
  return body.items;
}

async function until(what: string, done: () => Promise<boolean>, timeoutMs = 60_000) {
  for (const started = Date.now(); Date.now() - started < timeoutMs; await sleep(100))
    if (await done()) return;
  throw new Error(`timed out waiting until ${what}`);
}

it('SIGKILL with a status and a comment queued for a forge that is down: after the restart, with the forge up, each is sent once', async () => {
  const dir = tempDir('storyflow-outbox-crash-');
  const githubPort = await freePort(); // nothing listens here yet: connections are refused
  writeFileSync(join(dir, 'github-token'), GITHUB_TOKEN);
  writeFileSync(
    join(dir, 'storyflow.config.yaml'),
    'forges:\n  - provider: github\n' +
      `    apiUrl: http://127.0.0.1:${githubPort}\n` +
      '    owner: Codertocat\n    token: { file: github-token }\n',
  );
  const start = async (name: string) =>
    startServerProcess(
      {
        name,
        cwd: dir,
        port: await freePort(),
        readyTimeoutMs: 90_000, // a loaded machine takes a while to start it
        env: { ...sqliteServeEnv(dir, ADMIN), STORYFLOW_GITHUB_WEBHOOK_SECRET: GITHUB_SECRET },
      },
      processes,
    );
  let github: FakeGithub | undefined;
  try {
    const first = await start('first');
    const imported = await http(first.baseUrl, 'POST', '/api/v1/stories/import', {
      token: ADMIN,
      json: { documents: fixtureStories().map((story) => story.text) },
    });
    expect(imported.status, JSON.stringify(imported.body)).toBeLessThan(300);
    const pr = githubPullRequest('opened', {
      number: 21,
      head: 'int-003-cicd-integration-endpoints',
      body: 'Closes INT-003',
    });
    expect((await postGithub(first.baseUrl, 'pull_request', pr)).status).toBe(202);
    // Both calls queued and tried once against the refused port, then the process is killed.
    await until('both calls failed once', async () => {
      const rows = await outbox(first);
      return rows.length === 2 && rows.every((row) => row.attempts >= 1);
    });
    const queued = await outbox(first);
    expect(queued.map((row) => `${row.kind} ${row.status}`).sort()).toEqual([
      'comment pending',
      'status pending',
    ]);
    await first.kill9();

    github = await startFakeGithub(GITHUB_TOKEN, githubPort);
    const second = await start('second');
    // The first retry is due about 10 s after the failed attempt.
    await until('both calls are sent', async () =>
      (await outbox(second)).every((row) => row.status === 'sent'),
    );
    await sleep(1500); // a second send, were there one, would have been made by now
    const posts = github.requests
      .filter((request) => request.method === 'POST')
      .map((request) => request.path);
    expect(posts.sort()).toEqual([
      '/repos/Codertocat/Hello-World/issues/21/comments',
      `/repos/Codertocat/Hello-World/statuses/${pr.pull_request.head.sha}`,
    ]);
    expect([...github.comments.values()]).toEqual([
      expect.objectContaining({ repository: 'Codertocat/Hello-World', issue: 21 }),
    ]);
    expect([...github.comments.values()][0]?.body).toContain('INT-003');
    expect(github.statuses).toEqual([
      expect.objectContaining({ state: 'success', context: 'storyflow/story' }),
    ]);
    expect(github.malformed).toEqual([]);
    expect((await outbox(second)).map((row) => `${row.kind} ${row.status}`).sort()).toEqual([
      'comment sent',
      'status sent',
    ]);
  } finally {
    await github?.close();
  }
}, 300_000);
