// Stories as code, inbound: what a sync must not do silently (docs/git-sync.md, "Who holds a
// story"). With real git over file:// and real HTTP: an API sync takes the database lease the
// runner takes (409 while another holds it); one id in two configured repositories, or a story
// made in storyflow first, is a conflict and nothing is overwritten; repository names match
// whatever their letter case, as the forges match them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { RepositoryConfig } from '../../src/config/config.js';
import { githubPush } from '../support/automation-payloads.js';
import { createGitRepository, type GitRepository } from '../support/git-repository.js';
import { http } from '../support/http.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';
import { postGithub, webhookTestConfig } from '../support/webhooks.js';

/** The repository the GitHub push example names (repository.full_name). */
const NAME = 'Codertocat/Hello-World';
const ENCODED = encodeURIComponent(NAME);
const OTHER = 'acme/other-stories';

function story(id: string, title: string): string {
  return `---\nid: ${id}\ntitle: "${title}"\nstatus: ready\n---\n\n## Story\n\nAs a person, I want ${title}.\n`;
}

function repositoryConfig(name: string, url: string): RepositoryConfig {
  return {
    name,
    provider: 'github',
    url,
    branch: 'main',
    stories: 'docs/stories/**/*.md',
    writeBack: 'off',
    onDelete: 'keep',
    credentials: { kind: 'none' },
  };
}

describeEachStore('stories as code: what a sync never does silently', (open) => {
  let server: TestServer;
  let repo: GitRepository;
  let other: GitRepository;
  let mirrors: string;
  const api = (method: string, path: string, json?: unknown) =>
    http(server.url, method, `/api/v1${path}`, {
      token: server.token,
      ...(json === undefined ? {} : { json }),
    });

  async function start(repositories: RepositoryConfig[] = [repositoryConfig(NAME, repo.url)]) {
    server = await startTestServer(await open(), {
      config: {
        webhooks: webhookTestConfig() as never,
        repositories,
        git: { mirrorDir: mirrors, env: { PATH: process.env.PATH ?? '' } },
      },
    });
  }

  beforeEach(() => {
    repo = createGitRepository();
    other = createGitRepository();
    mirrors = mkdtempSync(join(tmpdir(), 'storyflow-mirrors-'));
  });
  afterEach(async () => {
    await server?.close();
    repo.cleanup();
    other.cleanup();
    rmSync(mirrors, { recursive: true, force: true });
  });

  it('an API sync takes the lease the runner takes: 409 repository-sync-running while another instance holds it', async () => {
    await start();
    repo.write('docs/stories/INT-1.md', story('INT-1', 'one'));
    repo.commit('one');
    repo.push();
    // Another instance (or this one's runner) is syncing: it holds the lease in the database.
    const now = new Date();
    const until = new Date(now.getTime() + 60_000).toISOString();
    expect(await server.store.repositorySync.acquireLease(NAME, now.toISOString(), until)).toBe(
      true,
    );
    const refused = await api('POST', `/repositories/${ENCODED}/sync`);
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('urn:storyflow:problem:repository-sync-running');
    expect(refused.body.detail).toContain(NAME);
    expect((await api('GET', '/stories/INT-1')).status).toBe(404);
    // While the API's own sync holds it, the runner's claim skips the repository.
    await server.store.repositorySync.releaseLease(NAME);
    const synced = await api('POST', `/repositories/${ENCODED}/sync`);
    expect(synced.status).toBe(200);
    expect(synced.body.created).toEqual(['INT-1']);
    // markSynced gave the lease back: a second sync is not refused.
    expect((await api('POST', `/repositories/${ENCODED}/sync`)).status).toBe(200);
    const state = await server.store.repositorySync.getState(NAME);
    expect(state?.leaseUntil).toBeNull();
  });

  it('a lease held by an API sync keeps the runner from claiming the repository', async () => {
    await start();
    const now = new Date().toISOString();
    const until = new Date(Date.now() + 60_000).toISOString();
    // The lease first, then the push: this server's own runner polls, and a push recorded first
    // could be claimed by it before the test takes the lease.
    expect(await server.store.repositorySync.acquireLease(NAME, now, until)).toBe(true);
    await server.store.repositorySync.recordPush(NAME, now);
    // A second taker (another instance's API sync) is refused, and so is the runner's claim.
    expect(await server.store.repositorySync.acquireLease(NAME, now, until)).toBe(false);
    const claimed = await server.store.transaction((tx) =>
      tx.repositorySync.claimDue([NAME], now, until),
    );
    expect(claimed).toEqual([]);
    // An expired lease (an instance that died) is taken over.
    const later = new Date(Date.now() + 120_000).toISOString();
    expect(await server.store.repositorySync.acquireLease(NAME, later, later)).toBe(true);
  });

  it('one id in two configured repositories is a conflict: the first binding stands, the other file is not imported', async () => {
    await start([repositoryConfig(NAME, repo.url), repositoryConfig(OTHER, other.url)]);
    const first = story('INT-7', 'from the first repository');
    repo.write('docs/stories/INT-7.md', first);
    repo.commit('INT-7');
    repo.push();
    expect((await api('POST', `/repositories/${ENCODED}/sync`)).body.created).toEqual(['INT-7']);

    other.write('docs/stories/copied/INT-7.md', story('INT-7', 'from the second repository'));
    other.write('docs/stories/INT-8.md', story('INT-8', 'only in the second'));
    other.commit('INT-7 again');
    other.push();
    const sync = await api('POST', `/repositories/${encodeURIComponent(OTHER)}/sync`);
    expect(sync.status).toBe(200);
    expect(sync.body.created).toEqual(['INT-8']);
    expect(sync.body.conflicts).toEqual([
      {
        storyId: 'INT-7',
        paths: ['docs/stories/copied/INT-7.md'],
        cause: 'bound-elsewhere',
        boundIn: { repository: NAME, path: 'docs/stories/INT-7.md' },
      },
    ]);
    expect((await api('GET', '/stories/INT-7.md')).text).toBe(first);
    expect((await api('GET', `/repositories/${encodeURIComponent(OTHER)}`)).body.stories).toBe(1);
    const audit = await api('GET', '/audit?action=sync.conflict');
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.body)).toContain(`INT-7 is bound to ${NAME}:docs/stories/INT-7.md`);

    // The first repository's own edits still land.
    const edited = story('INT-7', 'edited in the first repository');
    repo.write('docs/stories/INT-7.md', edited);
    repo.commit('edit');
    repo.push();
    expect((await api('POST', `/repositories/${ENCODED}/sync`)).body.updated).toEqual(['INT-7']);
    expect((await api('GET', '/stories/INT-7.md')).text).toBe(edited);
  });

  it('a story made in storyflow first is not replaced by a file with its id; the same bytes bind it', async () => {
    await start();
    const made = await api('POST', '/stories', {
      id: 'INT-20',
      title: 'made in storyflow',
      body: '## Story\n\nMade here first.\n',
    });
    expect(made.status).toBe(201);
    const before = (await api('GET', '/stories/INT-20.md')).text;
    const exported = story('INT-21', 'exported');
    await api('POST', '/stories/import', { documents: [exported] });

    repo.write('docs/stories/INT-20.md', story('INT-20', 'written in the repository'));
    repo.write('docs/stories/INT-21.md', exported);
    repo.commit('two files for stories storyflow has');
    repo.push();
    const cli = await runCliInProcess([
      'repos',
      'sync',
      NAME,
      '--json',
      '--url',
      server.url,
      '--token',
      server.token,
    ]);
    expect(cli.code, cli.stderr).toBe(0);
    const sync = JSON.parse(cli.stdout);
    expect(sync.conflicts).toEqual([
      { storyId: 'INT-20', paths: ['docs/stories/INT-20.md'], cause: 'made-in-storyflow' },
    ]);
    expect(sync.unchanged).toEqual(['INT-21']);
    const printed = await runCliInProcess([
      'repos',
      'sync',
      NAME,
      '--url',
      server.url,
      '--token',
      server.token,
    ]);
    expect(printed.stdout).toContain(
      '  conflict: INT-20 in docs/stories/INT-20.md differs from the story made in storyflow; not imported',
    );
    expect((await api('GET', '/stories/INT-20.md')).text).toBe(before);
    expect((await api('GET', '/stories/INT-20')).body.version).toBe(1);
    // INT-21's file holds the story's bytes: it is bound; INT-20's is not.
    expect((await api('GET', `/repositories/${ENCODED}`)).body.stories).toBe(1);
    const history = await api('GET', '/audit?action=sync.conflict');
    expect(JSON.stringify(history.body)).toContain('INT-20 was made in storyflow');

    // Once the file holds the story's bytes (exported and committed), it binds.
    repo.write('docs/stories/INT-20.md', before);
    repo.commit('take storyflow’s version');
    repo.push();
    const again = await api('POST', `/repositories/${ENCODED}/sync`);
    expect(again.body.conflicts).toEqual([]);
    expect((await api('GET', `/repositories/${ENCODED}`)).body.stories).toBe(2);
  });

  it('repository names match whatever their letter case, as GitHub matches them', async () => {
    await start();
    repo.write('docs/stories/INT-30.md', story('INT-30', 'case'));
    const sha = repo.commit('one');
    repo.push();
    // GitHub names the repository as its owner spelled it; a config may spell it otherwise.
    const payload = githubPush('main', [{ id: sha, message: 'one' }]);
    payload.before = '0'.repeat(40);
    payload.repository.full_name = NAME.toLowerCase();
    expect((await postGithub(server.url, 'push', payload)).status).toBe(202);
    await server.inboxWorker.runOnce();
    const lower = encodeURIComponent(NAME.toLowerCase());
    let status = (await api('GET', `/repositories/${lower}`)).body;
    for (let attempt = 0; attempt < 200 && status.lastSyncedSha !== sha; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await api('GET', `/repositories/${lower}`)).body;
    }
    expect(status).toMatchObject({ name: NAME, lastSyncedSha: sha, stories: 1 });
    expect((await api('GET', '/stories/INT-30')).status).toBe(200);
    expect(
      (await api('POST', `/repositories/${encodeURIComponent('CODERTOCAT/hello-world')}/sync`))
        .status,
    ).toBe(200);
  });
});
