// End to end through Gitea and Forgejo: the vendors' documented push example and payloads built
// from their structs (test/fixtures/gitea, SOURCE.md), edited to name the fixture stories, sent
// signed to /webhooks/gitea as the forges send them and processed by the inbox worker.
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  type AutomationHarness,
  type Delivery,
  snapshot,
  startAutomationHarness,
} from '../support/automation-e2e.js';
import { sha } from '../support/automation-payloads.js';
import {
  type GiteaSendOptions,
  giteaFixture,
  giteaSignature,
  postGitea,
} from '../support/gitea-webhooks.js';
import { describeEachStore } from '../support/store-factories.js';

const REPOSITORY = 'gitea/webhooks';
const ZERO = '0'.repeat(40);
const INT_003_BRANCH = 'int-003-cicd-integration-endpoints';
const INT_004_BRANCH = 'int-004-slack-notifications';

/** Posts a signed delivery, runs the inbox worker, and answers the processed delivery. */
async function deliver(
  harness: AutomationHarness,
  event: string,
  payload: unknown,
  options: GiteaSendOptions = {},
): Promise<Delivery> {
  const answer = await postGitea(harness.server.url, event, payload, options);
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  await harness.drain();
  const delivery = await harness.api('GET', `/deliveries/${answer.body.delivery}`);
  const operations = await harness.api('GET', `/operations?delivery=${answer.body.delivery}`);
  return {
    id: answer.body.delivery,
    duplicate: answer.body.duplicate,
    status: delivery.body.status,
    lastError: delivery.body.lastError,
    operations: [...operations.body.items].reverse(),
  };
}

/** Gitea's documented push, to `branch`, with these commits; `created`: a new branch. */
function giteaPush(branch: string, commits: { id: string; message: string }[], created = false) {
  const payload = giteaFixture('push');
  const template = payload.commits[0];
  payload.ref = `refs/heads/${branch}`;
  payload.before = created ? ZERO : sha(`before ${branch}`);
  payload.after = commits.at(-1)?.id ?? payload.after;
  payload.commits = commits.map((commit) => ({ ...template, ...commit }));
  payload.head_commit = payload.commits.at(-1) ?? null;
  payload.total_commits = commits.length;
  return payload;
}

function giteaPullRequest(
  action: string,
  pr: { number: number; head: string; base?: string; body: string; mergeSha?: string },
) {
  const payload = giteaFixture('pull_request');
  payload.action = action;
  payload.number = pr.number;
  const pull = payload.pull_request;
  pull.number = pr.number;
  pull.body = pr.body;
  pull.html_url = `http://localhost:3000/${REPOSITORY}/pulls/${pr.number}`;
  pull.head.ref = pull.head.label = pr.head;
  pull.head.sha = sha(`head of ${pr.head}`);
  pull.base.ref = pull.base.label = pr.base ?? 'main';
  if (action === 'closed') {
    pull.state = 'closed';
    pull.closed_at = '2017-03-14T09:00:00Z';
    if (pr.mergeSha !== undefined) {
      pull.merged = true;
      pull.merge_commit_sha = pr.mergeSha;
      pull.merged_at = '2017-03-14T09:00:00Z';
    }
  }
  return payload;
}

function giteaStatus(state: string, commit: string, id: number) {
  const payload = giteaFixture('status');
  payload.state = state;
  payload.sha = commit;
  payload.commit.id = commit;
  payload.id = id;
  return payload;
}

/** Forgejo's action_run_* payload for a run on `branch` at `commit` (run.repository = ours). */
function forgejoActionRun(status: string, commit: string, branch: string) {
  const payload = giteaFixture('action_run_failure');
  payload.action = status === 'success' ? 'success' : 'failure';
  payload.run.status = status;
  payload.run.commit_sha = commit;
  payload.run.prettyref = branch;
  payload.run.repository = giteaFixture('push').repository;
  return payload;
}

describeEachStore('automation end to end through Gitea and Forgejo webhooks', (open) => {
  let harness: AutomationHarness;
  beforeEach(async () => {
    harness = await startAutomationHarness(await open());
  });
  afterEach(async () => {
    await harness.close();
  });

  it('a forged or unsigned delivery gets 401 and nothing is stored', async () => {
    const push = giteaPush(INT_003_BRANCH, [{ id: sha('forged'), message: 'x' }], true);
    const forged = await postGitea(harness.server.url, 'push', push, { secret: 'not-ours' });
    expect(forged.status).toBe(401);
    const unsigned = await postGitea(harness.server.url, 'push', push, { signature: '' });
    expect(unsigned.status).toBe(401);
    const tampered = await postGitea(harness.server.url, 'push', push, {
      body: JSON.stringify({ ...push, ref: 'refs/heads/main' }),
      signature: giteaSignature(JSON.stringify(push, null, 2)),
    });
    expect(tampered.status).toBe(401);
    expect((await harness.api('GET', '/deliveries')).body.items).toEqual([]);
    expect((await harness.story('INT-003')).status).toBe('draft');
  });

  it('walks INT-003 from a pushed branch to done, through a failing build', async () => {
    const first = sha('gitea first commit');
    const pushed = await deliver(
      harness,
      'push',
      giteaPush(INT_003_BRANCH, [{ id: first, message: 'Sketch the CI endpoints' }], true),
    );
    expect(pushed.status).toBe('processed');
    expect(pushed.operations).toHaveLength(1);
    expect(pushed.operations[0]).toMatchObject({
      trigger: { kind: 'branch.created', rule: 'default: branch created or pushed → in_progress' },
      changes: [{ story: 'INT-003', field: 'status', before: 'draft', after: 'in_progress' }],
      repository: REPOSITORY,
    });

    const pr = { number: 4, head: INT_003_BRANCH, body: 'Closes INT-003' };
    const opened = await deliver(harness, 'pull_request', giteaPullRequest('opened', pr));
    expect(opened.operations[0]).toMatchObject({
      trigger: { kind: 'pr.opened' },
      changes: [{ story: 'INT-003', field: 'status', before: 'in_progress', after: 'in_review' }],
    });

    // Gitea's commit status names no branch: the commit the push linked finds the story.
    const failing = await deliver(harness, 'status', giteaStatus('failure', first, 41));
    expect(failing.operations[0]).toMatchObject({
      trigger: { kind: 'pipeline.failed', rule: 'default: pipeline failed → label ci-failing' },
      changes: [{ story: 'INT-003', field: 'labels' }],
    });
    expect((await harness.story('INT-003')).labels).toContain('ci-failing');

    // Forgejo reports the finished Actions run with its own event and headers.
    const passing = await deliver(
      harness,
      'action_run_success',
      forgejoActionRun('success', first, INT_003_BRANCH),
      { forgejo: true },
    );
    expect(passing.operations[0].trigger.rule).toBe(
      'default: pipeline succeeded → remove ci-failing',
    );
    expect((await harness.story('INT-003')).labels).not.toContain('ci-failing');

    const mergeSha = sha('gitea INT-003 merge commit');
    const merged = await deliver(
      harness,
      'pull_request',
      giteaPullRequest('closed', { ...pr, mergeSha }),
    );
    expect(merged.operations[0]).toMatchObject({
      trigger: { kind: 'pr.merged', rule: 'default: merged into the default branch → done' },
      changes: [{ story: 'INT-003', field: 'status', before: 'in_review', after: 'done' }],
    });
    expect((await harness.story('INT-003')).status).toBe('done');
    const links = await harness.links('INT-003');
    expect(links.find((link) => link.type === 'pr')).toMatchObject({
      key: '4',
      state: 'merged',
      sha: mergeSha,
      url: `http://localhost:3000/${REPOSITORY}/pulls/4`,
    });
    expect(links.map((link) => link.type)).toEqual(
      expect.arrayContaining(['branch', 'commit', 'pipeline', 'pr']),
    );
  });

  it('a build failing in a Gitea Actions workflow_run labels the story; a deployment to production finishes it', async () => {
    const commit = sha('gitea INT-004 commit');
    await deliver(
      harness,
      'push',
      giteaPush(INT_004_BRANCH, [{ id: commit, message: 'Connect Slack' }], true),
    );
    const run = giteaFixture('workflow_run');
    run.workflow_run.head_branch = INT_004_BRANCH;
    run.workflow_run.head_sha = commit;
    const failed = await deliver(harness, 'workflow_run', run);
    expect(failed.operations[0]).toMatchObject({
      trigger: { kind: 'pipeline.failed', rule: 'default: pipeline failed → label ci-failing' },
    });
    expect((await harness.story('INT-004')).labels).toContain('ci-failing');

    // Merged into develop, not the default branch: not done yet.
    const pr = { number: 5, head: INT_004_BRANCH, base: 'develop', body: 'Closes INT-004' };
    await deliver(harness, 'pull_request', giteaPullRequest('opened', pr));
    const mergeSha = sha('gitea INT-004 merge into develop');
    const merged = await deliver(
      harness,
      'pull_request',
      giteaPullRequest('closed', { ...pr, mergeSha }),
    );
    expect(merged.operations).toEqual([]);
    expect((await harness.story('INT-004')).status).toBe('in_review');

    // Gitea and Forgejo send no deployment webhook: the deploy job reports it.
    const deployed = await harness.api('POST', '/deployments', {
      json: {
        provider: 'gitea',
        repository: REPOSITORY,
        environment: 'production',
        status: 'success',
        sha: mergeSha,
        ref: 'develop',
      },
    });
    expect(deployed.status, deployed.text).toBe(200);
    expect(deployed.body.operations[0]).toMatchObject({
      trigger: { kind: 'deployment.succeeded', rule: 'default: deployed to production → done' },
      changes: [{ story: 'INT-004', field: 'status', before: 'in_review', after: 'done' }],
    });
    expect((await harness.story('INT-004')).status).toBe('done');
  });

  it('a WIP: pull request does not move its story; taking the prefix off does', async () => {
    const pr = { number: 21, head: 'ui-007-board-view', body: 'Closes UI-007' };
    const draft = giteaPullRequest('opened', pr);
    draft.pull_request.title = 'WIP: Board view';
    const opened = await deliver(harness, 'pull_request', draft);
    expect(opened.status).toBe('processed');
    expect(opened.operations).toEqual([]);
    expect((await harness.story('UI-007')).status).toBe('draft');

    const ready = giteaPullRequest('edited', pr);
    ready.pull_request.title = 'Board view';
    ready.changes = { title: { from: 'WIP: Board view' } };
    const edited = await deliver(harness, 'pull_request', ready);
    expect(edited.operations[0]).toMatchObject({
      trigger: { kind: 'pr.ready' },
      changes: [{ story: 'UI-007', field: 'status', before: 'draft', after: 'in_review' }],
    });
  });

  it("a redelivery (same X-Gitea-Delivery) and the forge's Replay (a new one) apply nothing twice", async () => {
    const push = giteaPush(
      INT_004_BRANCH,
      [{ id: sha('gitea redelivery'), message: 'Slack\n\nINT-004 #comment Wired' }],
      true,
    );
    const first = await deliver(harness, 'push', push, { deliveryId: 'gitea-uuid-1' });
    expect(first.operations[0].changes).toEqual([
      { story: 'INT-004', field: 'status', before: 'ready', after: 'in_progress' },
    ]);
    const before = await snapshot(harness);
    const history = await harness.history('INT-004');

    const again = await deliver(harness, 'push', push, { deliveryId: 'gitea-uuid-1' });
    expect(again).toMatchObject({ id: first.id, duplicate: true, status: 'processed' });
    // Forgejo's headers carry the same UUID: still the same delivery.
    const forgejo = await deliver(harness, 'push', push, {
      deliveryId: 'gitea-uuid-1',
      forgejo: true,
    });
    expect(forgejo).toMatchObject({ id: first.id, duplicate: true });

    // Gitea's "Replay" copies the hook task under a new UUID: a new delivery, no new change.
    const replayed = await deliver(harness, 'push', push, { deliveryId: 'gitea-uuid-2' });
    expect(replayed).toMatchObject({ duplicate: false, status: 'processed' });
    expect(replayed.id).not.toBe(first.id);
    for (const operation of replayed.operations) expect(operation.changes).toEqual([]);
    expect((await snapshot(harness)).stories).toEqual(before.stories);
    expect(
      (await harness.history('INT-004')).filter((entry) => entry.action.startsWith('story.')),
    ).toEqual(history.filter((entry) => entry.action.startsWith('story.')));
  });
});
