// The write-back itself (issue #18 points 3 and 8), with real git over file:// and smart HTTP:
// a non-fast-forward is fetched and retried; a push that landed before the process could record
// it is not pushed again; an unreachable remote leaves the change queued with its attempts and
// error; two instances on one PostgreSQL database make one commit, not two; pull-request mode
// pushes to storyflow/updates and leaves the tracked branch alone.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Config, RepositoryConfig } from '../../../src/config/config.js';
import type { Clock } from '../../../src/domain/clock.js';
import { RepositoryWriteBack } from '../../../src/services/repositories/repository-write-back.js';
import { RepositoryWriteBackRunner } from '../../../src/services/repositories/repository-write-back-runner.js';
import type { Store } from '../../../src/storage/store.js';
import { type GitHttpServer, startGitHttpServer } from '../../support/git-http-server.js';
import { createGitRepository, type GitRepository } from '../../support/git-repository.js';
import { http } from '../../support/http.js';
import { startTestServer, type TestServer } from '../../support/start-test-server.js';
import {
  describeEachStore,
  dropPostgresSchema,
  openPostgresStoreInSchema,
  postgresTestUrl,
  uniqueSchemaName,
} from '../../support/store-factories.js';

const NAME = 'acme/shop';
const PATH = 'docs/stories/INT-3.md';
const story = (status: string) =>
  `---\nid: INT-3\ntitle: Checkout # a comment\nstatus: ${status}\n---\n\nBody.\n`;
/** Long enough that the server's own runner never takes the queued changes: the test does. */
const NEVER_MS = 3_600_000;

describeEachStore('repository write-back', (open) => {
  let server: TestServer;
  let repo: GitRepository;
  let mirrors: string;
  let repository: RepositoryConfig;
  let git: Config['git'];
  const api = (method: string, path: string, json?: unknown) =>
    http(server.url, method, `/api/v1${path}`, {
      token: server.token,
      ...(json === undefined ? {} : { json }),
    });

  async function start(overrides: Partial<RepositoryConfig> = {}, url?: string) {
    repository = {
      name: NAME,
      provider: 'github',
      url: url ?? repo.url,
      branch: 'main',
      stories: 'docs/stories/**/*.md',
      writeBack: 'commit',
      onDelete: 'keep',
      credentials: { kind: 'none' },
      ...overrides,
    };
    git = { mirrorDir: mirrors, env: { PATH: process.env.PATH ?? '' }, writeBackDelayMs: NEVER_MS };
    server = await startTestServer(await open(), { config: { repositories: [repository], git } });
    repo.write(PATH, story('ready'));
    repo.commit('a story');
    repo.push();
    expect((await api('POST', `/repositories/${encodeURIComponent(NAME)}/sync`)).status).toBe(200);
    expect((await api('POST', '/stories/INT-3/transitions', { to: 'in_progress' })).status).toBe(
      200,
    );
  }

  const writeBack = (clock: Clock = { now: () => new Date() }, store: Store = server.store) =>
    new RepositoryWriteBack(store, { git }, clock, async () => {});
  const storyflowCommits = () =>
    repo
      .gitBare('log', '--format=%H', '--grep=^Storyflow-Operation:', '--all')
      .split('\n')
      .filter(Boolean);

  beforeEach(() => {
    repo = createGitRepository();
    mirrors = mkdtempSync(join(tmpdir(), 'storyflow-mirrors-'));
  });
  afterEach(async () => {
    await server?.close();
    repo.cleanup();
    rmSync(mirrors, { recursive: true, force: true });
  });

  it('commit mode: a branch that moved between fetch and push is fetched again and the change re-applied on top', async () => {
    await start();
    let moved = false;
    // Someone pushes right after storyflow fetched (the commit's time is asked for then).
    const clock: Clock = {
      now: () => {
        if (!moved) {
          moved = true;
          repo.write('README.md', 'someone else\n');
          repo.commit('meanwhile');
          repo.push();
        }
        return new Date();
      },
    };
    const outcome = await writeBack(clock).run(repository);
    expect(moved).toBe(true);
    expect(outcome.written).toEqual(['INT-3']);
    expect(repo.gitBare('log', '-1', '--format=%s', `${outcome.commit}^`)).toBe('meanwhile');
    expect(repo.head()).toBe(outcome.commit);
    expect(repo.gitBare('show', `main:${PATH}`)).toContain('status: in_progress');
    expect(repo.gitBare('show', 'main:README.md')).toBe('someone else');
    expect(storyflowCommits()).toHaveLength(1);
  });

  it('a push that landed before the outcome was recorded is not pushed again', async () => {
    await start();
    // The process "dies" after the push: the transaction recording it never commits.
    const dying = new Proxy(server.store, {
      get(target, property) {
        if (property === 'transaction') return () => Promise.reject(new Error('killed'));
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await expect(writeBack(undefined, dying).run(repository)).rejects.toThrow('killed');
    const pushed = repo.head();
    expect(storyflowCommits()).toEqual([pushed]);
    // After the restart: the change is still queued, the file already holds it.
    expect(
      (await api('GET', `/repositories/${encodeURIComponent(NAME)}`)).body.writeBack.pending,
    ).toBe(1);
    const outcome = await writeBack().run(repository);
    expect(outcome).toMatchObject({ commit: null, upToDate: ['INT-3'], written: [] });
    expect(repo.head()).toBe(pushed);
    expect(storyflowCommits()).toHaveLength(1);
    expect(
      (await api('GET', `/repositories/${encodeURIComponent(NAME)}`)).body.writeBack.pending,
    ).toBe(0);
  });

  it('a remote that cannot be reached leaves the change queued, with its attempts and error', async () => {
    await start();
    const broken = { ...repository, url: `${repo.url}-gone` };
    const runner = new RepositoryWriteBackRunner(
      server.store,
      writeBack(),
      { repositories: [broken] },
      { now: () => new Date(Date.now() + NEVER_MS + 1) },
    );
    await runner.runOnce();
    const status = (await api('GET', `/repositories/${encodeURIComponent(NAME)}`)).body.writeBack;
    expect(status).toMatchObject({ mode: 'commit', pending: 1, failing: 1 });
    expect(status.lastError).toMatch(/git fetch failed/);
    // Back up: the same change goes out.
    const outcome = await writeBack().run(repository);
    expect(outcome.written).toEqual(['INT-3']);
    expect(repo.gitBare('show', `main:${PATH}`)).toContain('status: in_progress');
  });

  it('pull-request mode: commits go to storyflow/updates on top of the tracked branch, which stays as it was', async () => {
    await start({ writeBack: 'pull-request' });
    const main = repo.head();
    const first = await writeBack().run(repository);
    expect(first.branch).toBe('storyflow/updates');
    expect(repo.head()).toBe(main);
    expect(repo.gitBare('rev-parse', 'storyflow/updates^')).toBe(main);
    expect(repo.gitBare('show', `storyflow/updates:${PATH}`)).toContain('status: in_progress');
    // A second change goes on top of the first, on the same branch.
    expect((await api('POST', '/stories/INT-3/transitions', { to: 'in_review' })).status).toBe(200);
    const second = await writeBack().run(repository);
    expect(repo.gitBare('rev-parse', 'storyflow/updates^')).toBe(first.commit);
    expect(repo.gitBare('rev-parse', 'storyflow/updates')).toBe(second.commit);
    expect(repo.gitBare('show', `storyflow/updates:${PATH}`)).toContain('status: in_review');
  });
});

describeEachStore('repository write-back over smart HTTP', (open) => {
  it('pushes with the token the server checks', async () => {
    const repo = createGitRepository();
    const mirrors = mkdtempSync(join(tmpdir(), 'storyflow-mirrors-'));
    const token = 'ghp_writeback_token_0123456789';
    const httpServer: GitHttpServer = await startGitHttpServer(repo.root, token);
    // git http-backend refuses pushes unless the repository allows them.
    execFileSync('git', ['config', 'http.receivepack', 'true'], { cwd: repo.bare });
    const repository: RepositoryConfig = {
      name: NAME,
      provider: 'github',
      url: `${httpServer.url}/origin.git`,
      branch: 'main',
      stories: 'docs/stories/**/*.md',
      writeBack: 'commit',
      onDelete: 'keep',
      credentials: { kind: 'token', token },
    };
    const git = {
      mirrorDir: mirrors,
      env: { PATH: process.env.PATH ?? '', HOME: mirrors },
      writeBackDelayMs: NEVER_MS,
    };
    const server = await startTestServer(await open(), {
      config: { repositories: [repository], git },
    });
    try {
      repo.write(PATH, story('ready'));
      repo.commit('a story');
      repo.push();
      const api = (method: string, path: string, json?: unknown) =>
        http(server.url, method, `/api/v1${path}`, {
          token: server.token,
          ...(json === undefined ? {} : { json }),
        });
      expect((await api('POST', `/repositories/${encodeURIComponent(NAME)}/sync`)).status).toBe(
        200,
      );
      expect((await api('POST', '/stories/INT-3/transitions', { to: 'in_progress' })).status).toBe(
        200,
      );
      const outcome = await new RepositoryWriteBack(
        server.store,
        { git },
        { now: () => new Date() },
        async () => {},
      ).run(repository);
      expect(outcome.written).toEqual(['INT-3']);
      expect(repo.head()).toBe(outcome.commit);
      expect(repo.gitBare('show', `main:${PATH}`)).toContain('status: in_progress');
    } finally {
      await server.close();
      await httpServer.close();
      repo.cleanup();
      rmSync(mirrors, { recursive: true, force: true });
    }
  });
});

it.skipIf(postgresTestUrl() === undefined)(
  'two instances on one PostgreSQL database write one commit, not two',
  async () => {
    const schema = uniqueSchemaName();
    const repo = createGitRepository();
    const mirrorsA = mkdtempSync(join(tmpdir(), 'storyflow-mirrors-'));
    const mirrorsB = mkdtempSync(join(tmpdir(), 'storyflow-mirrors-'));
    const stores: Store[] = [];
    try {
      const repository: RepositoryConfig = {
        name: NAME,
        provider: 'github',
        url: repo.url,
        branch: 'main',
        stories: 'docs/stories/**/*.md',
        writeBack: 'commit',
        onDelete: 'keep',
        credentials: { kind: 'none' },
      };
      const gitOf = (mirrorDir: string) => ({
        mirrorDir,
        env: { PATH: process.env.PATH ?? '' },
        writeBackDelayMs: 0,
      });
      const server = await startTestServer(await openPostgresStoreInSchema(schema), {
        config: { repositories: [{ ...repository, writeBack: 'off' }], git: gitOf(mirrorsA) },
      });
      repo.write(PATH, story('ready'));
      repo.commit('a story');
      repo.push();
      await http(server.url, 'POST', `/api/v1/repositories/${encodeURIComponent(NAME)}/sync`, {
        token: server.token,
      });
      await server.close();
      // Two instances, each its own connections and mirror, one change queued.
      for (let index = 0; index < 2; index += 1)
        stores.push(await openPostgresStoreInSchema(schema));
      const [a, b] = stores as [Store, Store];
      await a.repositoryWriteBacks.queue([
        {
          id: 'wb_1',
          repository: NAME,
          storyId: 'INT-3',
          operationId: 'op_1',
          summary: 'INT-3: title changed',
          queuedAt: new Date().toISOString(),
          attempts: 0,
          nextAttemptAt: new Date().toISOString(),
          lastError: null,
        },
      ]);
      await a.transaction(async (tx) => {
        const current = await tx.stories.getStory('INT-3');
        if (current === undefined) throw new Error('no story');
        await tx.stories.updateStory(
          {
            ...current,
            document: current.document.replace('Checkout', 'Checkout v2'),
            version: current.version + 1,
          },
          current.version,
        );
      });
      const clock = { now: () => new Date() };
      // Another instance's commit would differ (its time): never the same commit by chance.
      const later = { now: () => new Date(Date.now() + 5000) };
      const runners = [
        new RepositoryWriteBackRunner(
          a,
          new RepositoryWriteBack(a, { git: gitOf(mirrorsA) }, clock, async () => {}),
          { repositories: [repository] },
          clock,
        ),
        new RepositoryWriteBackRunner(
          b,
          new RepositoryWriteBack(b, { git: gitOf(mirrorsB) }, later, async () => {}),
          { repositories: [repository] },
          clock,
        ),
      ];
      await Promise.all(runners.map((runner) => runner.runOnce()));
      await Promise.all(runners.map((runner) => runner.runOnce()));
      const commits = repo
        .gitBare('log', '--format=%H', '--grep=^Storyflow-Operation: op_1$')
        .split('\n')
        .filter(Boolean);
      expect(commits).toHaveLength(1);
      expect(repo.gitBare('show', `main:${PATH}`)).toContain('Checkout v2');
      expect((await a.repositoryWriteBacks.summary(NAME)).pending).toBe(0);
    } finally {
      for (const store of stores) await store.close();
      await dropPostgresSchema(schema);
      repo.cleanup();
      rmSync(mirrorsA, { recursive: true, force: true });
      rmSync(mirrorsB, { recursive: true, force: true });
    }
  },
);
