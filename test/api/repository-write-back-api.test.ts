// Stories as code, outbound (issue #18 points 3, 4 and 8), with real git over file://: a change
// made in storyflow to a bound story (the API, automation) becomes one commit on the tracked
// branch (writeBack: commit) changing only the lines that changed, with a readable message and
// one Storyflow-Operation trailer per operation; changes close together share a commit; the
// push webhook of storyflow's own commit imports nothing, changes nothing, fires no rule.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { RepositoryConfig } from '../../src/config/config.js';
import { githubPullRequest, githubPush } from '../support/automation-payloads.js';
import { createGitRepository, type GitRepository } from '../support/git-repository.js';
import { http } from '../support/http.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';
import { postGithub, webhookTestConfig } from '../support/webhooks.js';

/** The repository the GitHub examples name (repository.full_name). */
const NAME = 'Codertocat/Hello-World';
const ENCODED = encodeURIComponent(NAME);
const PATH = 'docs/stories/INT-3.md';

function story(id: string, status: string): string {
  return (
    `---\nid: ${id}\ntitle: "Checkout"   # keep this comment\nstatus: ${status}\n` +
    `branch_name: feature/${id}-checkout\n---\n\n## Story\n\nAs a buyer, I want to pay.\n`
  );
}

describeEachStore('stories as code: write-back', (open) => {
  let server: TestServer;
  let repo: GitRepository;
  let mirrors: string;
  const api = (method: string, path: string, body?: unknown) =>
    http(server.url, method, `/api/v1${path}`, {
      token: server.token,
      ...(body === undefined ? {} : { json: body }),
    });

  async function start(overrides: Partial<RepositoryConfig> = {}, delayMs = 0) {
    server = await startTestServer(await open(), {
      config: {
        webhooks: webhookTestConfig() as never,
        repositories: [
          {
            name: NAME,
            provider: 'github',
            url: repo.url,
            branch: 'main',
            stories: 'docs/stories/**/*.md',
            writeBack: 'commit',
            onDelete: 'keep',
            author: { name: 'Story Bot', email: 'bot@acme.example' },
            credentials: { kind: 'none' },
            ...overrides,
          },
        ],
        git: {
          mirrorDir: mirrors,
          env: { PATH: process.env.PATH ?? '' },
          writeBackDelayMs: delayMs,
        },
      },
    });
  }

  /** Waits until no write-back is pending; answers the repository's status. */
  async function writtenBack(): Promise<Record<string, unknown>> {
    for (let attempt = 0; attempt < 300; attempt += 1) {
      const status = (await api('GET', `/repositories/${ENCODED}`)).body;
      if (status.writeBack.pending === 0) return status;
      if (status.writeBack.failing > 0)
        throw new Error(`write-back failed: ${status.writeBack.lastError}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('nothing was written back within 15 s');
  }

  async function seed(files: Record<string, string>): Promise<string> {
    for (const [path, bytes] of Object.entries(files)) repo.write(path, bytes);
    repo.commit('stories');
    const sha = repo.push();
    expect((await api('POST', `/repositories/${ENCODED}/sync`)).status).toBe(200);
    return sha;
  }

  /** What the audit log, the operations and the story say, to compare before and after. */
  async function snapshot(id: string) {
    return {
      // The delivery's own `delivery.processed` entry aside: what happened to stories.
      audit: (await api('GET', '/audit?limit=500')).body.items.filter(
        (entry: { targetType: string }) => entry.targetType !== 'delivery',
      ),
      operations: JSON.stringify((await api('GET', '/operations?limit=100')).body.items),
      story: (await api('GET', `/stories/${id}`)).body,
      history: (await api('GET', `/stories/${id}/history`)).body,
    };
  }

  beforeEach(() => {
    repo = createGitRepository();
    mirrors = mkdtempSync(join(tmpdir(), 'storyflow-mirrors-'));
  });
  afterEach(async () => {
    await server?.close();
    repo.cleanup();
    rmSync(mirrors, { recursive: true, force: true });
  });

  it('a merged PR moves the story to done, and the file changes by exactly its status line, in a commit that says so', async () => {
    await start();
    const seeded = await seed({ [PATH]: story('INT-3', 'in_review') });
    const merged = githubPullRequest('closed', {
      number: 42,
      head: 'feature/INT-3-checkout',
      mergeSha: 'a'.repeat(40),
    });
    expect((await postGithub(server.url, 'pull_request', merged)).status).toBe(202);
    await server.inboxWorker.runOnce();
    // (On PostgreSQL the server's own worker may have taken the delivery: wait for it.)
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if ((await api('GET', '/stories/INT-3')).body.status === 'done') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await api('GET', '/stories/INT-3')).body.status).toBe('done');
    const status = await writtenBack();

    const head = repo.head();
    expect(head).not.toBe(seeded);
    expect(repo.gitBare('rev-parse', `${head}^`)).toBe(seeded);
    // Only the status line changed, and the file is storyflow's document byte for byte.
    const diff = repo.gitBare('diff', '--unified=0', seeded, head);
    expect(diff.split('\n').filter((line) => /^[+-][^+-]/.test(line))).toEqual([
      '-status: in_review',
      '+status: done',
    ]);
    expect(repo.gitBare('show', `${head}:${PATH}`)).toBe(
      ((await api('GET', '/stories/INT-3.md')).bytes as Buffer).toString('utf8').trimEnd(),
    );
    const operation = (await api('GET', '/operations?story=INT-3')).body.items[0].id;
    const message = repo.gitBare('log', '-1', '--format=%B', head);
    expect(message).toMatch(/^INT-3: in_review → done \(.+\)\n\nStoryflow-Operation: op/);
    expect(message).toContain(`Storyflow-Operation: ${operation}`);
    expect(repo.gitBare('log', '-1', '--format=%an <%ae>|%cn <%ce>', head)).toBe(
      'Story Bot <bot@acme.example>|Story Bot <bot@acme.example>',
    );
    // The sync point follows storyflow's own commit (it fast-forwarded from it).
    expect(status.lastSyncedSha).toBe(head);
  });

  it('a title edited in the repository while automation moved the status: the sync merges both and the merge is written back to the file', async () => {
    await start();
    const seeded = await seed({ [PATH]: story('INT-3', 'in_review') });
    // A person retitles the story and pushes; storyflow has not synced it yet.
    repo.write(PATH, story('INT-3', 'in_review').replace('"Checkout"', '"Checkout with cards"'));
    repo.commit('INT-3: retitle');
    const retitled = repo.push();
    // Meanwhile the PR merges in storyflow: the story moves to done.
    const merged = githubPullRequest('closed', {
      number: 42,
      head: 'feature/INT-3-checkout',
      mergeSha: 'a'.repeat(40),
    });
    expect((await postGithub(server.url, 'pull_request', merged)).status).toBe(202);
    await server.inboxWorker.runOnce();
    // The write-back finds the file changed, leaves it, and has the sync merge it; the merge
    // (the title from the repository, the status from storyflow) is then written to the file.
    let file = '';
    for (let attempt = 0; attempt < 400; attempt += 1) {
      file = repo.gitBare('show', `main:${PATH}`);
      if (file.includes('status: done')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(file).toContain('title: "Checkout with cards"   # keep this comment');
    expect(file).toContain('status: done');
    const story3 = (await api('GET', '/stories/INT-3')).body;
    expect(story3.title).toBe('Checkout with cards');
    expect(story3.status).toBe('done');
    // The person's commit is kept under storyflow's: nothing was overwritten.
    expect(repo.gitBare('merge-base', '--is-ancestor', retitled, 'main')).toBe('');
    expect(repo.gitBare('rev-list', '--count', `${seeded}..main`)).toBe('2');
  });

  it('a rollback and a batch are written back too, each with its own operation', async () => {
    await start();
    await seed({ [PATH]: story('INT-3', 'in_review') });
    const merged = githubPullRequest('closed', {
      number: 42,
      head: 'feature/INT-3-checkout',
      mergeSha: 'a'.repeat(40),
    });
    expect((await postGithub(server.url, 'pull_request', merged)).status).toBe(202);
    await server.inboxWorker.runOnce();
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if ((await api('GET', '/stories/INT-3')).body.status === 'done') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await writtenBack();
    const operation = (await api('GET', '/operations?story=INT-3')).body.items[0].id;
    const rollback = await api('POST', `/operations/${operation}/rollback`);
    expect(rollback.status).toBe(200);
    await writtenBack();
    expect(repo.gitBare('show', `main:${PATH}`)).toContain('status: in_review');
    expect(repo.gitBare('log', '-1', '--format=%B', 'main')).toContain(
      `Storyflow-Operation: ${rollback.body.id}`,
    );
    const batch = await api('POST', '/batch', {
      atomic: true,
      operations: [{ op: 'update', id: 'INT-3', changes: { title: 'Checkout, renamed' } }],
    });
    expect(batch.status).toBe(200);
    await writtenBack();
    expect(repo.gitBare('log', '-1', '--format=%s', 'main')).toBe('INT-3: title changed');
    expect(
      repo.gitBare('log', '--format=%H', '--grep=^Storyflow-Operation:', 'main').split('\n'),
    ).toHaveLength(3);
  });

  it("the push webhook of storyflow's own commit imports nothing, changes nothing and fires no rule", async () => {
    await start();
    const seeded = await seed({ [PATH]: story('INT-3', 'ready') });
    expect((await api('POST', '/stories/INT-3/transitions', { to: 'in_progress' })).status).toBe(
      200,
    );
    await writtenBack();
    const head = repo.head();
    const before = await snapshot('INT-3');

    const payload = githubPush('main', [
      { id: head, message: repo.gitBare('log', '-1', '--format=%B', head) },
    ]);
    payload.before = seeded;
    expect((await postGithub(server.url, 'push', payload)).status).toBe(202);
    await server.inboxWorker.runOnce();
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const status = (await api('GET', `/repositories/${ENCODED}`)).body;
      if (status.pending === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // A full sync at the head reads every file again: still nothing to import.
    const full = (await api('POST', `/repositories/${ENCODED}/sync`)).body;
    expect(full).toMatchObject({ created: [], updated: [], unchanged: ['INT-3'] });
    expect(await snapshot('INT-3')).toEqual(before);
    expect((await api('GET', `/repositories/${ENCODED}`)).body.writeBack.pending).toBe(0);
    expect(repo.head()).toBe(head);
  });

  it('two changes close together go out as one commit with two trailers', async () => {
    await start({}, 1500);
    const seeded = await seed({
      [PATH]: story('INT-3', 'ready'),
      'docs/stories/INT-4.md': story('INT-4', 'ready'),
    });
    const first = await api('POST', '/stories/INT-3/transitions', { to: 'in_progress' });
    const second = await api('PATCH', '/stories/INT-4', { title: 'Refunds' });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect((await api('GET', `/repositories/${ENCODED}`)).body.writeBack.pending).toBe(2);
    await writtenBack();

    expect(repo.gitBare('rev-list', '--count', `${seeded}..main`)).toBe('1');
    const message = repo.gitBare('log', '-1', '--format=%B', 'main');
    expect(message.split('\n')[0]).toBe('storyflow: 2 stories changed (INT-3, INT-4)');
    expect(message).toContain('- INT-3: ready → in_progress');
    expect(message).toContain('- INT-4: title changed');
    expect(message.match(/^Storyflow-Operation: \S+$/gm)).toHaveLength(2);
    expect(repo.gitBare('diff', '--stat', seeded, 'main')).toContain('2 files changed');
  });

  it('a file changed in the repository since the last sync is not overwritten: the change waits for the inbound sync', async () => {
    await start();
    const seeded = await seed({ [PATH]: story('INT-3', 'ready') });
    repo.write(PATH, story('INT-3', 'ready').replace('Checkout', 'Checkout v2'));
    repo.commit('a person edits the title');
    const personal = repo.push();
    // Another sync holds the repository (as a long one would): the inbound sync the write-back
    // asks for cannot start, so the waiting state stays for the test to see.
    const now = new Date();
    const until = new Date(now.getTime() + 60_000).toISOString();
    expect(await server.store.repositorySync.acquireLease(NAME, now.toISOString(), until)).toBe(
      true,
    );
    expect((await api('POST', '/stories/INT-3/transitions', { to: 'in_progress' })).status).toBe(
      200,
    );
    for (let attempt = 0; attempt < 300; attempt += 1) {
      const status = (await api('GET', `/repositories/${ENCODED}`)).body;
      if (status.writeBack.lastError !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // storyflow did not write over the person's commit.
    expect(repo.gitBare('rev-list', '--count', `${seeded}..main`)).toBe('1');
    expect(repo.head()).toBe(personal);
    // The change still waits, and `storyflow repos status` says why.
    const target = ['--url', server.url, '--token', server.token];
    const cli = await runCliInProcess(['repos', 'status', NAME, ...target]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('write-back commit: 1 change(s) pending');
    expect(cli.stdout).toContain(
      `write-back waiting: INT-3: ${PATH} changed in the repository since the last sync`,
    );
    // Once the inbound sync runs, both edits reach the file: the person's commit stays in the
    // branch's history and storyflow's change is written on top of it.
    await server.store.repositorySync.releaseLease(NAME);
    await api('POST', `/repositories/${ENCODED}/sync`);
    let file = '';
    for (let attempt = 0; attempt < 300; attempt += 1) {
      file = repo.gitBare('show', `main:${PATH}`);
      if (file.includes('status: in_progress')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(file).toContain('title: "Checkout v2"');
    expect(file).toContain('status: in_progress');
    expect(repo.gitBare('merge-base', '--is-ancestor', personal, 'main')).toBe('');
  });
});
