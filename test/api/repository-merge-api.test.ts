// Stories as code, no lost edit (issue #18 point 5), with real git: a story changed in storyflow
// and in its file since the last sync is merged three-way with the last synced bytes as the base,
// in both orders of arrival; the same key on both sides is a conflict the repository wins, listed
// at GET /repositories/{name}/conflicts until acknowledged, with storyflow's value in history.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { githubPush } from '../support/automation-payloads.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { createGitRepository, type GitRepository } from '../support/git-repository.js';
import { http } from '../support/http.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';
import { postGithub, webhookTestConfig } from '../support/webhooks.js';

const NAME = 'Codertocat/Hello-World';
const ENCODED = encodeURIComponent(NAME);
const PATH = 'docs/stories/INT-003.md';
/** The server's time: status changes date the document's bookkeeping with it. */
const NOW = '2026-12-04T10:00:00.000Z';
const INT_003 = fixtureStories().find((story) => story.id === 'INT-003')?.text as string;
const TITLE = 'title: CI/CD integration endpoints';
const NEW_TITLE = 'title: CI/CD integration endpoints for every forge';

const replaceOnce = (text: string, from: string, to: string): string => {
  expect(text).toContain(from);
  return text.replace(from, to);
};

/** INT-003 as storyflow leaves it after moving it to in_progress on NOW (admin token). */
const startedBookkeeping = (text: string): string =>
  replaceOnce(
    replaceOnce(
      replaceOnce(text, 'status: draft', 'status: in_progress'),
      'last_updated: 2025-08-28',
      'last_updated: 2026-12-04',
    ),
    '- Started: [date] by [implementer]  \n',
    '- Started: 2026-12-04 by STORYFLOW_ADMIN_TOKEN  \n',
  );

describeEachStore('stories as code: no lost edit', (open) => {
  let server: TestServer;
  let repo: GitRepository;
  let mirrors: string;
  const api = (method: string, path: string, json?: unknown) =>
    http(server.url, method, `/api/v1${path}`, {
      token: server.token,
      ...(json === undefined ? {} : { json }),
    });

  async function start() {
    server = await startTestServer(await open(), {
      clock: { now: () => new Date(NOW) },
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
          },
        ],
        git: { mirrorDir: mirrors, env: { PATH: process.env.PATH ?? '' } },
      },
    });
  }

  /** Pushes, sends GitHub's push webhook for it, and waits until the runner synced that commit. */
  async function pushAndSync(): Promise<string> {
    const before = (await api('GET', `/repositories/${ENCODED}`)).body.lastSyncedSha;
    const after = repo.push();
    const payload = githubPush('main', [{ id: after, message: 'stories' }]);
    payload.before = before ?? '0'.repeat(40);
    expect((await postGithub(server.url, 'push', payload)).status).toBe(202);
    await server.inboxWorker.runOnce();
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const status = (await api('GET', `/repositories/${ENCODED}`)).body;
      if (status.lastSyncedSha === after && status.pending === 0) return after;
      if (status.lastError !== null) throw new Error(`sync failed: ${status.lastError}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the push was not synced within 10 s');
  }

  async function seed(): Promise<void> {
    await start();
    repo.write(PATH, INT_003);
    repo.commit('INT-003');
    await pushAndSync();
  }

  const document = async () => (await api('GET', '/stories/INT-003.md')).text;
  const conflicts = async (query = '') =>
    (await api('GET', `/repositories/${ENCODED}/conflicts${query}`)).body.items;

  beforeEach(() => {
    repo = createGitRepository();
    mirrors = mkdtempSync(join(tmpdir(), 'storyflow-mirrors-'));
  });
  afterEach(async () => {
    await server?.close();
    repo.cleanup();
    rmSync(mirrors, { recursive: true, force: true });
  });

  it('storyflow moves the status, then a push edits the title: both survive', async () => {
    await seed();
    const moved = await api('POST', '/stories/INT-003/transitions', { to: 'in_progress' });
    expect(moved.status).toBe(200);

    repo.write(PATH, replaceOnce(INT_003, TITLE, NEW_TITLE));
    repo.commit('retitle INT-003');
    await pushAndSync();

    // The person's file, with storyflow's status and bookkeeping lines applied to it.
    expect(await document()).toBe(startedBookkeeping(replaceOnce(INT_003, TITLE, NEW_TITLE)));
    expect(await conflicts()).toEqual([]);
    const story = (await api('GET', '/stories/INT-003')).body;
    expect(story).toMatchObject({ status: 'in_progress', version: 3 });
  });

  it('a push edits the title, then storyflow moves the status: no conflict, and a whole-folder sync keeps it', async () => {
    await seed();
    repo.write(PATH, replaceOnce(INT_003, TITLE, NEW_TITLE));
    repo.commit('retitle INT-003');
    await pushAndSync();
    expect(await document()).toBe(replaceOnce(INT_003, TITLE, NEW_TITLE));

    expect((await api('POST', '/stories/INT-003/transitions', { to: 'in_progress' })).status).toBe(
      200,
    );
    const expected = startedBookkeeping(replaceOnce(INT_003, TITLE, NEW_TITLE));
    expect(await document()).toBe(expected);

    // The file is as last synced: storyflow's newer version is kept, not replaced by it.
    const full = await api('POST', `/repositories/${ENCODED}/sync`);
    expect(full.status).toBe(200);
    expect(full.body).toMatchObject({ unchanged: ['INT-003'], updated: [], mergeConflicts: [] });
    expect(await document()).toBe(expected);
    expect(await conflicts()).toEqual([]);
  });

  it('the same key on both sides: the repository wins, the conflict is listed with both values and kept in history until acknowledged', async () => {
    await seed();
    const patched = await api('PATCH', '/stories/INT-003', { priority: 'high', labels: ['ci'] });
    expect(patched.status).toBe(200);

    const theirs = replaceOnce(
      replaceOnce(INT_003, 'priority: medium', 'priority: low'),
      TITLE,
      NEW_TITLE,
    );
    repo.write(PATH, theirs);
    const commit = repo.commit('INT-003: lower priority');
    await pushAndSync();

    // priority: the repository's; labels (changed in storyflow only): storyflow's.
    const labelsLine = 'labels: [integration, cicd, automation, webhooks]';
    expect(await document()).toBe(replaceOnce(theirs, labelsLine, 'labels: [ci]'));

    const listed = await conflicts();
    expect(listed).toEqual([
      {
        id: expect.stringMatching(/^cfl_/),
        repository: NAME,
        path: PATH,
        storyId: 'INT-003',
        key: 'priority',
        storyflowValue: 'high',
        repositoryValue: 'low',
        commit,
        createdAt: NOW,
        acknowledgedAt: null,
        acknowledgedBy: null,
      },
    ]);
    const id = listed[0].id as string;

    const history = (await api('GET', '/stories/INT-003/history')).body.items as {
      action: string;
      before: unknown;
      after: unknown;
      reason: string | null;
    }[];
    const actions = history.map((entry) => entry.action);
    expect(actions).toEqual(['story.imported', 'story.updated', 'sync.conflict', 'story.imported']);
    // Storyflow's own change (the losing value) stays, and the conflict names the key and both.
    expect(history[1]?.after).toMatchObject({ priority: 'high' });
    expect(history[2]).toMatchObject({
      before: { conflict: id, key: 'priority', value: 'high' },
      after: { conflict: id, key: 'priority', value: 'low' },
    });
    expect(history[2]?.reason).toContain(`${NAME}@${commit}:${PATH}`);
    const audit = (await api('GET', '/audit?action=sync.conflict')).body.items;
    expect(audit.map((entry: { targetId: string }) => entry.targetId)).toContain('INT-003');

    const target = ['--url', server.url, '--token', server.token];
    const listedByCli = await runCliInProcess(['repos', 'conflicts', NAME, ...target]);
    expect(listedByCli.code).toBe(0);
    expect(listedByCli.stdout).toContain(
      `${id}  INT-003 priority (${PATH} at ${commit.slice(0, 12)})`,
    );
    expect(listedByCli.stdout).toContain('kept from the repository: "low"');
    expect(listedByCli.stdout).toContain('storyflow\'s value: "high"');

    const unknown = await api('POST', `/repositories/${ENCODED}/conflicts/cfl_nope/ack`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toBe('urn:storyflow:problem:conflict-not-found');

    const acked = await api('POST', `/repositories/${ENCODED}/conflicts/${id}/ack`);
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({
      id,
      acknowledgedAt: NOW,
      acknowledgedBy: 'STORYFLOW_ADMIN_TOKEN',
    });
    expect(await conflicts()).toEqual([]);
    expect((await conflicts('?all=true')).map((item: { id: string }) => item.id)).toEqual([id]);

    // Acknowledging again answers the conflict as it is and writes no second audit entry.
    const again = await api('POST', `/repositories/${ENCODED}/conflicts/${id}/ack`);
    expect(again.status).toBe(200);
    expect(again.body.acknowledgedAt).toBe(NOW);
    const acks = (await api('GET', '/audit?action=sync.conflict.acknowledged')).body.items;
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatchObject({ targetType: 'repository_conflict', targetId: id });
    const ackedByCli = await runCliInProcess(['repos', 'ack', NAME, id, ...target]);
    expect(ackedByCli.stdout).toBe(`${id} acknowledged at ${NOW} by STORYFLOW_ADMIN_TOKEN\n`);
    expect((await runCliInProcess(['repos', 'conflicts', NAME, ...target])).stdout).toBe(
      `${NAME}: no conflicts\n`,
    );

    expect((await api('GET', '/repositories/nobody%2Fnothing/conflicts')).status).toBe(404);
  });
});
