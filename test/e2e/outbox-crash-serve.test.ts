// The outbox across a SIGKILL (real `serve` processes, one SQLite file): a pull request event
// queues a commit status and the linkback comment while the forge is down (nothing listens on
// its port); the server tries, fails, and is killed with both calls queued. The forge comes up,
// serve starts again, and each call reaches GitHub exactly once. And a process killed after
// GitHub created the comment but before it recorded the comment's id: the restarted one finds
// that comment and edits it, so the PR still has one. Run `npm run build` first.
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

/** A directory whose config points `forges:` (owner Codertocat) at `githubPort`. */
function serveWithForgeAt(dir: string, githubPort: number) {
  writeFileSync(join(dir, 'github-token'), GITHUB_TOKEN);
  writeFileSync(
    join(dir, 'storyflow.config.yaml'),
    'forges:\n  - provider: github\n' +
      `    apiUrl: http://127.0.0.1:${githubPort}\n` +
      '    owner: Codertocat\n    token: { file: github-token }\n',
  );
  return async (name: string) =>
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
}

/** Imports the fixture stories and delivers PR #21 naming INT-003. */
async function openPullRequest(server: ServerProcess) {
  const imported = await http(server.baseUrl, 'POST', '/api/v1/stories/import', {
    token: ADMIN,
    json: { documents: fixtureStories().map((story) => story.text) },
  });
  expect(imported.status, JSON.stringify(imported.body)).toBeLessThan(300);
  const pr = githubPullRequest('opened', {
    number: 21,
    head: 'int-003-cicd-integration-endpoints',
    body: 'Closes INT-003',
  });
  expect((await postGithub(server.baseUrl, 'pull_request', pr)).status).toBe(202);
  return pr;
}

it('SIGKILL with a status and a comment queued for a forge that is down: after the restart, with the forge up, each is sent once', async () => {
  const dir = tempDir('storyflow-outbox-crash-');
  const githubPort = await freePort(); // nothing listens here yet: connections are refused
  const start = serveWithForgeAt(dir, githubPort);
  let github: FakeGithub | undefined;
  try {
    const first = await start('first');
    const pr = await openPullRequest(first);
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

    github = await startFakeGithub(GITHUB_TOKEN, undefined, githubPort);
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

it('SIGKILL after GitHub created the comment, before storyflow recorded it: the restarted server finds that comment and edits it; the PR has one', async () => {
  const dir = tempDir('storyflow-outbox-doubt-');
  const github = await startFakeGithub(GITHUB_TOKEN);
  const start = serveWithForgeAt(dir, Number(new URL(github.url).port));
  try {
    const first = await start('first');
    // GitHub takes the comment's POST; the process dies before the answer, then GitHub makes it.
    github.onRequest = async (request) => {
      if (request.method === 'POST' && request.path.endsWith('/comments')) {
        github.onRequest = undefined;
        await first.kill9();
      }
    };
    await openPullRequest(first);
    await until('the process is killed', async () => first.gone);
    await until('GitHub made the comment', async () => github.comments.size === 1);
    const second = await start('second');
    await until('the comment is sent', async () =>
      (await outbox(second)).some((row) => row.kind === 'comment' && row.status === 'sent'),
    );
    const comments = github.requests
      .filter((request) => request.path.includes('/issues/'))
      .map((request) => `${request.method} ${request.path}`);
    expect(comments).toEqual([
      'POST /repos/Codertocat/Hello-World/issues/21/comments',
      'GET /repos/Codertocat/Hello-World/issues/21/comments?per_page=100&page=1',
      `PATCH /repos/Codertocat/Hello-World/issues/comments/${[...github.comments.keys()][0]}`,
    ]);
    expect(github.comments.size).toBe(1);
    expect(github.malformed).toEqual([]);
  } finally {
    await github.close();
  }
}, 300_000);
