// Stories as code, outbound, pull-request mode (issue #18 point 3), through real HTTP with real
// git over file:// and fake forges that check every call against the forge's own API
// description: a write-back pushed to storyflow/updates opens one pull request (GitLab: merge
// request) into the tracked branch through the outbox, and the next one updates it; a forge
// outage delays it, a create whose answer was lost is not made twice, a merged or closed one is
// followed by a new one; a repository no forge covers still gets its branch, and its status
// says why no pull request follows. GitHub, GitLab and Gitea alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ForgeConfig, RepositoryConfig } from '../../src/config/config.js';
import { fakeForgeConfig, startFakeGitea } from '../support/fake-forges.js';
import { acmeForge, startFakeGithub } from '../support/fake-github.js';
import { gitlabForge, startFakeGitlab } from '../support/fake-gitlab.js';
import type { FakePullRequests } from '../support/fake-pull-requests.js';
import { createGitRepository, type GitRepository } from '../support/git-repository.js';
import { http } from '../support/http.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

const NAME = 'acme/shop';
const ENCODED = encodeURIComponent(NAME);
const TOKEN = 'forge-token-0123456789';
const story = (id: string, status: string) =>
  `---\nid: ${id}\ntitle: Checkout\nstatus: ${status}\n---\n\nAs a buyer, I want to pay.\n`;

/** A fake forge as these tests drive it, whichever it is. */
interface Forge {
  entry: ForgeConfig;
  pulls: FakePullRequests;
  script: { status: number; body?: unknown }[];
  malformed: string[];
  /** A pull request's web address as this forge answers it. */
  urlOf(number: number): string;
  close(): Promise<void>;
}

const FORGES: Record<'github' | 'gitlab' | 'gitea', () => Promise<Forge>> = {
  async github() {
    const fake = await startFakeGithub(TOKEN);
    return {
      entry: acmeForge(fake.url, TOKEN),
      pulls: fake.pulls,
      script: fake.script,
      malformed: fake.malformed,
      urlOf: (number) => `https://github.com/${NAME}/pull/${number}`,
      close: () => fake.close(),
    };
  },
  async gitlab() {
    const fake = await startFakeGitlab(TOKEN);
    return {
      entry: gitlabForge(fake.url, TOKEN),
      pulls: fake.mergeRequests,
      script: fake.script,
      malformed: fake.malformed,
      urlOf: (number) => `https://gitlab.example.com/${NAME}/-/merge_requests/${number}`,
      close: () => fake.close(),
    };
  },
  async gitea() {
    const fake = await startFakeGitea(TOKEN);
    return {
      entry: fakeForgeConfig(fake, 'acme'),
      pulls: fake.pulls,
      script: fake.script,
      malformed: fake.malformed,
      urlOf: (number) => `https://gitea.example.com/${NAME}/pulls/${number}`,
      close: () => fake.close(),
    };
  },
};

describeEachStore('stories as code: the write-back pull request', (open) => {
  let server: TestServer;
  let repo: GitRepository;
  let mirrors: string;
  let forge: Forge | undefined;
  const api = (method: string, path: string, body?: unknown) =>
    http(server.url, method, `/api/v1${path}`, {
      token: server.token,
      ...(body === undefined ? {} : { json: body }),
    });

  async function start(provider: RepositoryConfig['provider'], withForge = true) {
    forge = withForge ? await FORGES[provider as keyof typeof FORGES]() : undefined;
    server = await startTestServer(await open(), {
      config: {
        repositories: [
          {
            name: NAME,
            provider,
            url: repo.url,
            branch: 'main',
            stories: 'docs/stories/**/*.md',
            writeBack: 'pull-request',
            onDelete: 'keep',
            credentials: { kind: 'none' },
          },
        ],
        forges: forge === undefined ? [] : [forge.entry],
        git: { mirrorDir: mirrors, env: { PATH: process.env.PATH ?? '' }, writeBackDelayMs: 0 },
      },
    });
    repo.write('docs/stories/INT-3.md', story('INT-3', 'ready'));
    repo.write('docs/stories/INT-4.md', story('INT-4', 'ready'));
    repo.commit('stories');
    repo.push();
    expect((await api('POST', `/repositories/${ENCODED}/sync`)).status).toBe(200);
  }

  /** The repository's status once `done` holds of it (polled: the runners work on their own). */
  async function statusWhen(done: (status: any) => boolean): Promise<any> {
    let status: any;
    for (let attempt = 0; attempt < 300; attempt += 1) {
      status = (await api('GET', `/repositories/${ENCODED}`)).body;
      if (done(status)) return status;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`not reached within 15 s: ${JSON.stringify(status.writeBack)}`);
  }

  const pullRequestIs = (state: string, number?: number) => (status: any) =>
    status.writeBack.pending === 0 &&
    status.writeBack.pullRequest?.state === state &&
    (number === undefined || status.writeBack.pullRequest.number === number);
  /** Written back, and the pull request's last call failed (its error is kept). */
  const pullRequestFailed = (status: any) =>
    status.writeBack.pending === 0 && status.writeBack.pullRequest?.lastError != null;

  async function move(id: string, to: string) {
    expect((await api('POST', `/stories/${id}/transitions`, { to })).status).toBe(200);
  }

  /** Makes the pending pull-request call due now (past its backoff), as an operator would. */
  async function retryNow() {
    const pending = (await api('GET', '/outbox?status=pending')).body.items.filter(
      (item: { kind: string }) => item.kind === 'pull-request',
    );
    expect(pending).toHaveLength(1);
    expect((await api('POST', `/outbox/${pending[0].id}/retry`)).status).toBe(200);
  }

  beforeEach(() => {
    repo = createGitRepository();
    mirrors = mkdtempSync(join(tmpdir(), 'storyflow-mirrors-'));
  });
  afterEach(async () => {
    await server?.close();
    expect(forge?.malformed ?? []).toEqual([]);
    await forge?.close();
    repo.cleanup();
    rmSync(mirrors, { recursive: true, force: true });
  });

  for (const provider of ['github', 'gitlab', 'gitea'] as const) {
    describe(provider, () => {
      it('a write-back opens one pull request into main; the next one updates it, and a merged one is followed by a new one', async () => {
        await start(provider);
        const main = repo.head();
        await move('INT-3', 'in_progress');
        const opened = await statusWhen(pullRequestIs('open', 1));
        const { pulls } = forge as Forge;
        expect(opened.writeBack.pullRequest).toMatchObject({
          number: 1,
          url: (forge as Forge).urlOf(1),
          forge: (forge as Forge).entry.id,
          lastError: null,
        });
        expect(pulls.all).toHaveLength(1);
        expect(pulls.all[0]).toMatchObject({
          head: 'storyflow/updates',
          base: 'main',
          state: 'open',
          title: 'storyflow: INT-3: ready → in_progress',
        });
        expect(pulls.all[0]?.body).toContain('| INT-3 | `docs/stories/INT-3.md` |');
        expect(repo.head()).toBe(main);

        // A second write-back: the same pull request, now listing both stories and changes.
        await move('INT-4', 'in_progress');
        await statusWhen(
          (status) =>
            pullRequestIs('open', 1)(status) && (pulls.all[0]?.body ?? '').includes('INT-4'),
        );
        expect(pulls.all).toHaveLength(1);
        expect(pulls.all[0]?.title).toBe('storyflow: 2 stories changed (INT-3, INT-4)');
        expect(pulls.all[0]?.body).toContain('- INT-3: ready → in_progress');
        expect(pulls.all[0]?.body).toContain('- INT-4: ready → in_progress');

        // Someone merges it; the next change opens a new one, listing only what is new.
        repo.gitBare(
          'update-ref',
          'refs/heads/main',
          repo.gitBare('rev-parse', 'storyflow/updates'),
        );
        pulls.finish(1, 'merged');
        expect((await api('POST', `/repositories/${ENCODED}/sync`)).status).toBe(200);
        await move('INT-3', 'in_review');
        const reopened = await statusWhen(pullRequestIs('open', 2));
        expect(reopened.writeBack.pullRequest.url).toBe((forge as Forge).urlOf(2));
        expect(pulls.all.map((pull) => pull.state)).toEqual(['merged', 'open']);
        expect(pulls.all[1]?.title).toBe('storyflow: INT-3: in_progress → in_review');
        expect(pulls.all[1]?.body).not.toContain('INT-4');
      });

      it('a create whose answer was lost is found on the retry and updated, not made twice', async () => {
        await start(provider);
        const { pulls } = forge as Forge;
        pulls.loseNextCreate = true;
        await move('INT-3', 'in_progress');
        const lost = await statusWhen(pullRequestFailed);
        expect(lost.writeBack.pullRequest).toMatchObject({ state: 'opening', number: null });
        expect(pulls.all).toHaveLength(1);
        await retryNow();
        await statusWhen(pullRequestIs('open', 1));
        expect(pulls.all).toHaveLength(1);
      });
    });
  }

  it('github: an outage (5xx) delays the pull request; once GitHub answers it is opened once', async () => {
    await start('github');
    const { pulls, script } = forge as Forge;
    script.push({ status: 502 }, { status: 503 });
    await move('INT-3', 'in_progress');
    const failing = await statusWhen(pullRequestFailed);
    expect(failing.writeBack.pullRequest).toMatchObject({ state: 'opening', number: null });
    expect(failing.writeBack.pullRequest.lastError).toMatch(/502/);
    // The branch is pushed all the same: only the pull request waits.
    expect(repo.gitBare('show', `storyflow/updates:docs/stories/INT-3.md`)).toContain(
      'status: in_progress',
    );
    await retryNow();
    const second = await statusWhen(
      (status) => status.writeBack.pullRequest?.lastError?.includes('503') === true,
    );
    expect(second.writeBack.pullRequest.state).toBe('opening');
    expect(pulls.all).toHaveLength(0);
    await retryNow();
    await statusWhen(pullRequestIs('open', 1));
    expect(pulls.all).toHaveLength(1);
  });

  it('github: a pull request closed unmerged is followed by a new one on the next change', async () => {
    await start('github');
    const { pulls } = forge as Forge;
    await move('INT-3', 'in_progress');
    await statusWhen(pullRequestIs('open', 1));
    pulls.finish(1, 'closed');
    await move('INT-4', 'in_progress');
    await statusWhen(pullRequestIs('open', 2));
    expect(pulls.all.map((pull) => pull.state)).toEqual(['closed', 'open']);
    // The branch still holds both changes: the new one lists both.
    expect(pulls.all[1]?.body).toContain('- INT-3: ready → in_progress');
    expect(pulls.all[1]?.body).toContain('- INT-4: ready → in_progress');
  });

  it('no forge covers the repository: the branch is pushed, and the status and `repos status` say no pull request can be opened and why', async () => {
    await start('github', false);
    await move('INT-3', 'in_progress');
    const status = await statusWhen((s) => s.writeBack.pending === 0 && repoHasUpdates());
    expect(status.writeBack.pullRequest).toEqual({
      state: 'unavailable',
      number: null,
      url: null,
      forge: null,
      lastError:
        'no github entry in forges: covers acme/shop, so no pull request is opened; the changes still go to storyflow/updates',
      updatedAt: null,
    });
    expect((await api('GET', '/outbox')).body.items).toEqual([]);
    const cli = await runCliInProcess([
      'repos',
      'status',
      NAME,
      '--url',
      server.url,
      '--token',
      server.token,
    ]);
    expect(cli.stdout).toContain(
      '  pull request: none (no github entry in forges: covers acme/shop, so no pull request is opened; the changes still go to storyflow/updates)\n',
    );
  });

  it('`repos status` prints the pull request line', async () => {
    await start('github');
    await move('INT-3', 'in_progress');
    const status = await statusWhen(pullRequestIs('open', 1));
    const cli = await runCliInProcess([
      'repos',
      'status',
      NAME,
      '--url',
      server.url,
      '--token',
      server.token,
    ]);
    expect(cli.stdout).toContain(
      `  pull request #1 open: https://github.com/acme/shop/pull/1 (as of ${status.writeBack.pullRequest.updatedAt})\n`,
    );
  });

  function repoHasUpdates(): boolean {
    try {
      repo.gitBare('rev-parse', '--verify', 'refs/heads/storyflow/updates');
      return true;
    } catch {
      return false;
    }
  }
});
