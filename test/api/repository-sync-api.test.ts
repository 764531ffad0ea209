// Stories as code, inbound (issue #18 points 1, 2, 7), with real git: a bare repository made by
// the test and served over file://, commits and pushes made with the git command, GitHub push
// webhooks built from those real commit ids. A push reaches the story through the inbox and the
// sync runner; /api/v1/repositories and `storyflow repos` show and run syncs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { RepositoryConfig } from '../../src/config/config.js';
import { githubPush } from '../support/automation-payloads.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { createGitRepository, type GitRepository } from '../support/git-repository.js';
import { http } from '../support/http.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';
import { postGithub, webhookTestConfig } from '../support/webhooks.js';

/** The repository the GitHub push example names (repository.full_name). */
const NAME = 'Codertocat/Hello-World';
const ENCODED = encodeURIComponent(NAME);

function story(id: string, title: string, extra = ''): string {
  return `---\nid: ${id}\ntitle: "${title}"  # quoted, with a comment\nstatus: ready\n${extra}---\n\n## Story\n\nAs a person, I want ${title}.\n`;
}

describeEachStore('stories as code: inbound sync', (open) => {
  let server: TestServer;
  let repo: GitRepository;
  let mirrors: string;
  const api = (method: string, path: string, token?: string) =>
    http(server.url, method, `/api/v1${path}`, { token: token ?? server.token });

  async function start(overrides: Partial<RepositoryConfig> = {}) {
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
            writeBack: 'off',
            onDelete: 'keep',
            credentials: { kind: 'none' },
            ...overrides,
          },
        ],
        git: { mirrorDir: mirrors, env: { PATH: process.env.PATH ?? '' } },
      },
    });
  }

  /** Pushes, sends GitHub's push webhook for it, and waits until the runner synced that commit. */
  async function pushAndSync(options: { force?: boolean } = {}): Promise<string> {
    const before = (await api('GET', `/repositories/${ENCODED}`)).body.lastSyncedSha;
    const after = repo.push(options);
    const payload = githubPush('main', [{ id: after, message: 'stories' }]);
    payload.before = before ?? '0'.repeat(40);
    payload.forced = options.force ?? false;
    const delivery = await postGithub(server.url, 'push', payload);
    expect(delivery.status).toBe(202);
    await server.inboxWorker.runOnce();
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const status = (await api('GET', `/repositories/${ENCODED}`)).body;
      if (status.lastSyncedSha === after && status.pending === 0) return after;
      if (status.lastError !== null) throw new Error(`sync failed: ${status.lastError}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the push was not synced within 10 s');
  }

  const document = async (id: string) => (await api('GET', `/stories/${id}.md`)).bytes;

  beforeEach(() => {
    repo = createGitRepository();
    mirrors = mkdtempSync(join(tmpdir(), 'storyflow-mirrors-'));
  });
  afterEach(async () => {
    await server?.close();
    repo.cleanup();
    rmSync(mirrors, { recursive: true, force: true });
  });

  it('a pushed story file appears byte for byte, with the commit in its history; files outside the glob are ignored', async () => {
    await start();
    const bytes = fixtureStories().map((fixture) => fixture);
    for (const fixture of bytes) repo.write(`docs/stories/seed/${fixture.file}`, fixture.bytes);
    repo.write('docs/README.md', story('OUT-1', 'not in the glob'));
    repo.commit('seed stories');
    const sha = await pushAndSync();
    for (const fixture of bytes) {
      expect((await document(fixture.id)).equals(fixture.bytes)).toBe(true);
    }
    expect((await api('GET', '/stories/OUT-1')).status).toBe(404);
    const history = await api('GET', `/stories/${bytes[0]?.id}/history`);
    expect(JSON.stringify(history.body)).toContain(`${NAME}@${sha}:docs/stories/seed/`);
    const status = (await api('GET', `/repositories/${ENCODED}`)).body;
    expect(status).toMatchObject({
      name: NAME,
      branch: 'main',
      lastSyncedSha: sha,
      pending: 0,
      failing: 0,
      stories: bytes.length,
    });
  });

  it('an edit updates the story; a rename keeps the binding; a deletion with onDelete keep unbinds and keeps the story', async () => {
    await start();
    repo.write('docs/stories/INT-1.md', story('INT-1', 'first'));
    repo.write('docs/stories/INT-2.md', story('INT-2', 'second'));
    repo.commit('two stories');
    await pushAndSync();

    const edited = story('INT-1', 'first, edited');
    repo.write('docs/stories/INT-1.md', edited);
    repo.commit('edit INT-1');
    await pushAndSync();
    expect((await document('INT-1')).toString('utf8')).toBe(edited);
    expect((await api('GET', '/stories/INT-1')).body.version).toBe(2);

    repo.move('docs/stories/INT-1.md', 'docs/stories/done/INT-1.md');
    repo.commit('move INT-1');
    await pushAndSync();
    expect((await api('GET', '/stories/INT-1')).body.version).toBe(2);
    expect((await api('GET', `/repositories/${ENCODED}`)).body.stories).toBe(2);

    // The renamed path is the bound one: an edit there updates the story.
    const again = story('INT-1', 'edited after the move');
    repo.write('docs/stories/done/INT-1.md', again);
    repo.remove('docs/stories/INT-2.md');
    repo.commit('edit INT-1, delete INT-2');
    const sha = await pushAndSync();
    expect((await document('INT-1')).toString('utf8')).toBe(again);
    expect((await api('GET', '/stories/INT-2')).status).toBe(200);
    expect((await api('GET', `/repositories/${ENCODED}`)).body.stories).toBe(1);
    const history = await api('GET', '/stories/INT-2/history');
    expect(history.body.items ?? history.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'story.unbound',
          reason: `file deleted in ${NAME}@${sha}:docs/stories/INT-2.md`,
        }),
      ]),
    );
  });

  it('a story file moved and rewritten (no rename git can see) keeps one binding, on a whole-folder sync too', async () => {
    await start();
    repo.write('docs/stories/INT-1.md', story('INT-1', 'before the move'));
    repo.commit('add');
    await pushAndSync();
    repo.move('docs/stories/INT-1.md', 'docs/stories/moved/INT-1.md');
    const rewritten = `---\nid: INT-1\ntitle: Rewritten\nstatus: in_progress\n---\n\n${'x'.repeat(400)}\n`;
    repo.write('docs/stories/moved/INT-1.md', rewritten);
    repo.commit('move and rewrite');
    repo.push();
    const sync = await api('POST', `/repositories/${ENCODED}/sync`);
    expect(sync.status).toBe(200);
    expect(sync.body).toMatchObject({
      fromSha: null,
      updated: ['INT-1'],
      unbound: [],
      renamed: [
        { storyId: 'INT-1', from: 'docs/stories/INT-1.md', to: 'docs/stories/moved/INT-1.md' },
      ],
    });
    expect((await document('INT-1')).toString('utf8')).toBe(rewritten);
    expect((await api('GET', `/repositories/${ENCODED}`)).body.stories).toBe(1);
  });

  it('onDelete cancel moves the story to cancelled; onDelete delete deletes it', async () => {
    await start({ onDelete: 'cancel' });
    repo.write('docs/stories/INT-1.md', story('INT-1', 'to cancel'));
    repo.commit('add');
    await pushAndSync();
    repo.remove('docs/stories/INT-1.md');
    repo.commit('delete');
    await pushAndSync();
    expect((await api('GET', '/stories/INT-1')).body.status).toBe('cancelled');
    await server.close();

    await start({ onDelete: 'delete' });
    repo.write('docs/stories/INT-5.md', story('INT-5', 'to delete'));
    repo.commit('add');
    await pushAndSync();
    expect((await api('GET', '/stories/INT-5')).status).toBe(200);
    repo.remove('docs/stories/INT-5.md');
    repo.commit('delete');
    await pushAndSync();
    expect((await api('GET', '/stories/INT-5')).status).toBe(404);
  });

  it('two files with one id are a conflict: neither is imported over the other', async () => {
    await start();
    repo.write('docs/stories/INT-1.md', story('INT-1', 'the original'));
    repo.commit('add');
    await pushAndSync();
    repo.write('docs/stories/copy/INT-1.md', story('INT-1', 'a copy'));
    repo.write('docs/stories/INT-1.md', story('INT-1', 'the original, edited'));
    repo.commit('copy');
    await pushAndSync();
    expect((await document('INT-1')).toString('utf8')).toBe(story('INT-1', 'the original'));
    const sync = await api('POST', `/repositories/${ENCODED}/sync`);
    expect(sync.status).toBe(200);
    expect(sync.body.conflicts).toEqual([
      { storyId: 'INT-1', paths: ['docs/stories/INT-1.md', 'docs/stories/copy/INT-1.md'] },
    ]);
    expect((await document('INT-1')).toString('utf8')).toBe(story('INT-1', 'the original'));
  });

  it('a force push is synced by diffing trees: a story only in the dropped commit is unbound', async () => {
    await start();
    repo.write('docs/stories/INT-1.md', story('INT-1', 'kept'));
    repo.commit('add');
    const base = await pushAndSync();
    repo.write('docs/stories/INT-9.md', story('INT-9', 'dropped later'));
    repo.commit('add INT-9');
    await pushAndSync();
    repo.resetHard(base);
    repo.write('docs/stories/INT-1.md', story('INT-1', 'rewritten'));
    repo.commit('rewrite');
    await pushAndSync({ force: true });
    expect((await document('INT-1')).toString('utf8')).toBe(story('INT-1', 'rewritten'));
    expect((await api('GET', `/repositories/${ENCODED}`)).body.stories).toBe(1);
  });

  it('POST /repositories/{name}/sync and storyflow repos sync import the whole folder at the head', async () => {
    await start();
    // More files than one import transaction takes (200), so the sync spans several.
    for (let index = 1; index <= 450; index += 1) {
      repo.write(`docs/stories/INT-${index}.md`, story(`INT-${index}`, `story ${index}`));
    }
    repo.write('docs/stories/bad.md', 'no frontmatter here\n');
    repo.commit('450 stories');
    repo.push();
    const target = ['--url', server.url, '--token', server.token];
    const cli = await runCliInProcess(['repos', 'sync', NAME, ...target]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`${NAME}: synced to ${repo.head().slice(0, 12)}`);
    expect(cli.stdout).toContain('450 created');
    expect(cli.stdout).toContain('docs/stories/bad.md');
    expect((await api('GET', '/stories/INT-450')).status).toBe(200);
    expect((await api('GET', `/repositories/${ENCODED}`)).body).toMatchObject({
      lastSyncedSha: repo.head(),
      stories: 450,
    });

    const again = await api('POST', `/repositories/${ENCODED}/sync`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ repository: NAME, sha: repo.head(), created: [] });
    expect(again.body.unchanged).toHaveLength(450);

    const status = await runCliInProcess(['repos', 'status', NAME, ...target]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`last synced ${repo.head()}`);
    const list = await runCliInProcess(['repos', 'list', ...target]);
    expect(list.stdout).toContain(NAME);
    expect(list.stdout).toContain('450 stories');

    const queued = await api('POST', `/repositories/${ENCODED}/sync?wait=false`);
    expect(queued.status).toBe(202);
    expect(queued.body.name).toBe(NAME);
  });

  it('needs repositories:admin; an unknown repository is 404', async () => {
    await start();
    const reader = (
      await http(server.url, 'POST', '/api/v1/tokens', {
        token: server.token,
        json: { name: 'reader', scopes: ['stories:write', 'deliveries:admin'] },
      })
    ).body.token as string;
    expect((await api('GET', '/repositories', reader)).status).toBe(403);
    expect((await api('GET', `/repositories/${ENCODED}`, reader)).status).toBe(403);
    expect((await api('POST', `/repositories/${ENCODED}/sync`, reader)).status).toBe(403);
    const keeper = (
      await http(server.url, 'POST', '/api/v1/tokens', {
        token: server.token,
        json: { name: 'keeper', scopes: ['repositories:admin'] },
      })
    ).body.token as string;
    expect((await api('GET', '/repositories', keeper)).status).toBe(200);
    expect((await api('GET', `/repositories/${encodeURIComponent('acme/none')}`)).status).toBe(404);
    const missing = await runCliInProcess([
      'repos',
      'status',
      'acme/none',
      '--url',
      server.url,
      '--token',
      server.token,
    ]);
    expect(missing.code).toBe(1);
  });

  it('a fetch that fails is reported, and tried again by the runner', async () => {
    await start({ url: `${repo.url}-missing` });
    const sync = await api('POST', `/repositories/${ENCODED}/sync`);
    expect(sync.status).toBe(502);
    expect(sync.body.type).toBe('urn:storyflow:problem:repository-sync-failed');
    await api('POST', `/repositories/${ENCODED}/sync?wait=false`);
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const status = (await api('GET', `/repositories/${ENCODED}`)).body;
      if (status.failing > 0) {
        expect(status.lastError).toMatch(/git fetch failed/);
        expect(status.pending).toBe(1);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the failure was not recorded');
  });
});
