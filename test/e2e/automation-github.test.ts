// End to end through GitHub: real payloads from @octokit/webhooks-examples, edited to name the
// fixture stories, sent signed to /webhooks/github and processed by the inbox worker.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import {
  type AutomationHarness,
  snapshot,
  startAutomationHarness,
} from '../support/automation-e2e.js';
import {
  GITHUB_DEFAULT_BRANCH,
  GITHUB_REPOSITORY,
  githubCreateBranch,
  githubDeploymentStatus,
  githubPullRequest,
  githubPush,
  sha,
} from '../support/automation-payloads.js';
import { describeEachStore } from '../support/store-factories.js';

const INT_003_BRANCH = 'int-003-cicd-integration-endpoints';
const INT_004_BRANCH = 'int-004-slack-notifications';

describeEachStore('automation end to end through GitHub webhooks', (open) => {
  let harness: AutomationHarness;
  beforeEach(async () => {
    harness = await startAutomationHarness(await open());
  });
  afterEach(async () => {
    await harness.close();
  });

  it('walks INT-003 from draft to done, then links its production deployment', async () => {
    expect((await harness.story('INT-003')).status).toBe('draft');

    const created = await harness.github('create', githubCreateBranch(INT_003_BRANCH));
    expect(created).toMatchObject({ status: 'processed', duplicate: false });
    expect(created.operations).toHaveLength(1);
    expect(created.operations[0]).toMatchObject({
      status: 'applied',
      trigger: {
        kind: 'branch.created',
        delivery: created.id,
        rule: 'default: branch created or pushed → in_progress',
      },
      changes: [{ story: 'INT-003', field: 'status', before: 'draft', after: 'in_progress' }],
      repository: GITHUB_REPOSITORY,
    });
    expect((await harness.story('INT-003')).status).toBe('in_progress');

    const pr = { number: 7, head: INT_003_BRANCH, body: 'Closes INT-003' };
    const opened = await harness.github('pull_request', githubPullRequest('opened', pr));
    expect(opened.operations[0].changes).toEqual([
      { story: 'INT-003', field: 'status', before: 'in_progress', after: 'in_review' },
    ]);
    // The step says which rule acted and which reference named the story.
    expect(opened.operations[0].steps).toContainEqual(
      expect.objectContaining({
        story: 'INT-003',
        rule: 'default: pull request opened or ready → in_review',
        because: expect.stringContaining('Closes INT-003'),
      }),
    );
    expect((await harness.story('INT-003')).status).toBe('in_review');

    const mergeSha = sha('INT-003 merge commit');
    const merged = await harness.github(
      'pull_request',
      githubPullRequest('closed', { ...pr, mergeSha }),
    );
    expect(merged.operations[0]).toMatchObject({
      trigger: { kind: 'pr.merged', rule: 'default: merged into the default branch → done' },
      changes: [{ story: 'INT-003', field: 'status', before: 'in_review', after: 'done' }],
    });
    expect((await harness.story('INT-003')).status).toBe('done');

    const deployed = await harness.github(
      'deployment_status',
      githubDeploymentStatus('success', { sha: mergeSha, environment: 'production' }),
    );
    expect(deployed.status).toBe('processed');
    expect(deployed.operations).toEqual([]); // already done: the deployment only links
    expect((await harness.story('INT-003')).status).toBe('done');

    const links = await harness.links('INT-003');
    expect(links.map((link) => link.type).sort()).toEqual(['branch', 'deployment', 'pr']);
    expect(links.find((link) => link.type === 'branch')).toMatchObject({
      key: INT_003_BRANCH,
      state: 'active',
      repository: GITHUB_REPOSITORY,
    });
    expect(links.find((link) => link.type === 'pr')).toMatchObject({
      key: '7',
      state: 'merged',
      sha: mergeSha,
      url: `https://github.com/${GITHUB_REPOSITORY}/pull/7`,
    });
    expect(links.find((link) => link.type === 'deployment')).toMatchObject({
      key: 'production',
      state: 'succeeded',
      sha: mergeSha,
      environment: 'production',
    });

    const operations = await harness.operations('INT-003');
    expect(operations.map((operation) => operation.trigger.kind)).toEqual([
      'branch.created',
      'pr.opened',
      'pr.merged',
    ]);
    const history = await harness.history('INT-003');
    expect(history.filter((entry) => entry.action === 'story.automated')).toHaveLength(3);
  });

  it('a deployment finishes a story merged elsewhere; its failure rolls that back', async () => {
    const pr = { number: 8, head: INT_004_BRANCH, base: 'develop', body: 'Closes INT-004' };
    const opened = await harness.github('pull_request', githubPullRequest('opened', pr));
    expect(opened.operations[0].changes).toEqual([
      { story: 'INT-004', field: 'status', before: 'ready', after: 'in_review' },
    ]);

    // Merged into develop, not the default branch: not done yet.
    const mergeSha = sha('INT-004 merge into develop');
    const merged = await harness.github(
      'pull_request',
      githubPullRequest('closed', { ...pr, mergeSha }),
    );
    expect(merged.status).toBe('processed');
    expect(merged.operations).toEqual([]);
    expect((await harness.story('INT-004')).status).toBe('in_review');
    expect((await harness.links('INT-004')).find((link) => link.type === 'pr')).toMatchObject({
      state: 'merged',
      sha: mergeSha,
    });

    const deployment = { sha: mergeSha, environment: 'production', ref: 'develop' };
    const succeeded = await harness.github(
      'deployment_status',
      githubDeploymentStatus('success', { ...deployment, deploymentId: 501 }),
    );
    expect(succeeded.operations).toHaveLength(1);
    const deployOperation = succeeded.operations[0];
    expect(deployOperation).toMatchObject({
      status: 'applied',
      trigger: { kind: 'deployment.succeeded', rule: 'default: deployed to production → done' },
      changes: [{ story: 'INT-004', field: 'status', before: 'in_review', after: 'done' }],
      environment: 'production',
    });
    expect((await harness.story('INT-004')).status).toBe('done');

    // A failure somewhere else undoes nothing.
    const staging = await harness.github(
      'deployment_status',
      githubDeploymentStatus('failure', { ...deployment, environment: 'staging' }),
    );
    expect(staging.operations).toEqual([]);
    expect((await harness.story('INT-004')).status).toBe('done');

    const failed = await harness.github(
      'deployment_status',
      githubDeploymentStatus('failure', { ...deployment, deploymentId: 501 }),
    );
    expect(failed.operations).toHaveLength(1);
    const rollback = failed.operations[0];
    expect(rollback).toMatchObject({
      status: 'applied',
      trigger: { kind: 'deployment.failed' },
      changes: [{ story: 'INT-004', field: 'status', before: 'done', after: 'in_review' }],
    });
    expect(rollback.steps).toContainEqual(
      expect.objectContaining({
        rule: 'automatic rollback',
        action: `roll back ${deployOperation.id}`,
        because: 'deployment.failed in production',
      }),
    );
    expect((await harness.story('INT-004')).status).toBe('in_review');

    const original = await harness.api('GET', `/operations/${deployOperation.id}`);
    expect(original.status).toBe(200);
    expect(original.body).toMatchObject({
      id: deployOperation.id,
      status: 'rolled_back',
      rolledBackBy: rollback.id,
      rolledBackAt: expect.any(String),
    });
    expect(
      (await harness.links('INT-004')).find((link) => link.type === 'deployment'),
    ).toMatchObject({ key: 'production', state: 'failed', sha: mergeSha });

    // The same failure reported again rolls nothing back a second time.
    const again = await harness.github(
      'deployment_status',
      githubDeploymentStatus('failure', { ...deployment, deploymentId: 501 }),
    );
    expect(again.operations).toEqual([]);
    expect((await harness.story('INT-004')).status).toBe('in_review');
  });

  it('a redelivered webhook and a replayed delivery apply nothing twice', async () => {
    const create = await harness.github('create', githubCreateBranch(INT_003_BRANCH), {
      deliveryId: 'gh-delivery-create',
    });
    const prPayload = githubPullRequest('opened', {
      number: 7,
      head: INT_003_BRANCH,
      body: 'Closes INT-003',
    });
    const pr = await harness.github('pull_request', prPayload, { deliveryId: 'gh-delivery-pr' });
    const push = githubPush(INT_003_BRANCH, [
      { id: sha('redelivered commit'), message: 'Wire the endpoints\n\nINT-003 #comment Wired' },
    ]);
    const pushed = await harness.github('push', push, { deliveryId: 'gh-delivery-push' });
    expect(pushed.operations[0].comments).toEqual([
      { story: 'INT-003', text: 'Wired', rule: 'smart command' },
    ]);
    const before = await snapshot(harness);
    const historyBefore = await harness.history('INT-003');
    expect((await harness.story('INT-003')).status).toBe('in_review');

    // GitHub's "Redeliver": the same X-GitHub-Delivery.
    const redelivered = await harness.github('pull_request', prPayload, {
      deliveryId: 'gh-delivery-pr',
    });
    expect(redelivered).toMatchObject({ id: pr.id, duplicate: true, status: 'processed' });
    await harness.github('push', push, { deliveryId: 'gh-delivery-push' });

    // An operator's replay: processed again, keyed by delivery and event.
    for (const delivery of [create.id, pr.id, pushed.id]) {
      const replay = await harness.api('POST', `/deliveries/${delivery}/replay`);
      expect(replay.status).toBe(202);
    }
    expect(await harness.drain()).toBe(3);
    for (const delivery of [create.id, pr.id, pushed.id]) {
      const record = await harness.api('GET', `/deliveries/${delivery}`);
      expect(record.body).toMatchObject({ status: 'processed', attempts: 2, lastError: null });
    }

    expect(await snapshot(harness)).toEqual(before);
    const history = await harness.history('INT-003');
    expect(history.filter((entry) => entry.action.startsWith('story.'))).toEqual(
      historyBefore.filter((entry) => entry.action.startsWith('story.')),
    );
  });

  it('a revert commit rolls back what the reverted commit did', async () => {
    const closing = sha('closing commit');
    const pushed = await harness.github(
      'push',
      githubPush(GITHUB_DEFAULT_BRANCH, [
        { id: closing, message: 'Build the container image\n\nCloses INF-015' },
      ]),
    );
    expect(pushed.operations[0]).toMatchObject({
      trigger: { rule: 'default: closing commit pushed to the default branch → done' },
      changes: [{ story: 'INF-015', field: 'status', before: 'in_review', after: 'done' }],
    });

    const revert = sha('revert commit');
    const reverted = await harness.github(
      'push',
      githubPush(GITHUB_DEFAULT_BRANCH, [
        {
          id: revert,
          message: `Revert "Build the container image"\n\nThis reverts commit ${closing}.`,
        },
      ]),
    );
    expect(reverted.operations).toHaveLength(1);
    expect(reverted.operations[0].changes).toEqual([
      { story: 'INF-015', field: 'status', before: 'done', after: 'in_review' },
    ]);
    expect(reverted.operations[0].steps).toContainEqual(
      expect.objectContaining({
        rule: 'automatic rollback',
        action: `roll back ${pushed.operations[0].id}`,
        because: `commit ${revert.slice(0, 12)} reverts ${closing.slice(0, 12)}`,
      }),
    );
    expect((await harness.story('INF-015')).status).toBe('in_review');
    const original = await harness.api('GET', `/operations/${pushed.operations[0].id}`);
    expect(original.body).toMatchObject({
      status: 'rolled_back',
      rolledBackBy: reverted.operations[0].id,
    });

    // Reverting a merge (git revert -m 1) undoes what the merged PR did.
    const pr = { number: 7, head: INT_003_BRANCH, body: 'Closes INT-003' };
    await harness.github('pull_request', githubPullRequest('opened', pr));
    const mergeSha = sha('merge to revert');
    const merged = await harness.github(
      'pull_request',
      githubPullRequest('closed', { ...pr, mergeSha }),
    );
    expect((await harness.story('INT-003')).status).toBe('done');
    const revertMerge = await harness.github(
      'push',
      githubPush(GITHUB_DEFAULT_BRANCH, [
        {
          id: sha('revert the merge'),
          message: `Revert "Merge pull request #7 from ${INT_003_BRANCH}"\n\nThis reverts commit ${mergeSha}, reversing\nchanges made to ${sha('main before the merge')}.`,
        },
      ]),
    );
    expect(revertMerge.operations[0].changes).toEqual([
      { story: 'INT-003', field: 'status', before: 'done', after: 'in_review' },
    ]);
    expect((await harness.api('GET', `/operations/${merged.operations[0].id}`)).body.status).toBe(
      'rolled_back',
    );
  });

  it('creates a story from a PR description and from a New-Story trailer', async () => {
    const document = [
      '---',
      'id: UI-010',
      'title: Dark mode for the board',
      'status: draft',
      'labels: [ui]',
      '---',
      '',
      '# UI-010: Dark mode for the board',
      '',
      'As a user working at night I want a dark theme.',
      '',
    ].join('\n');
    const opened = await harness.github(
      'pull_request',
      githubPullRequest('opened', {
        number: 12,
        head: 'feature/dark-mode',
        title: 'Dark mode',
        body: document,
      }),
    );
    const changes = opened.operations[0].changes;
    expect(changes.map((change: { field: string }) => change.field)).toEqual(['(story)', 'status']);
    expect(changes[0]).toMatchObject({ story: 'UI-010', before: null });
    expect(changes[0].after).toContain('# UI-010: Dark mode for the board');
    expect(changes[1]).toEqual({
      story: 'UI-010',
      field: 'status',
      before: 'draft',
      after: 'in_review',
    });
    expect(await harness.story('UI-010')).toMatchObject({
      id: 'UI-010',
      title: 'Dark mode for the board',
      status: 'in_review',
      labels: ['ui'],
      body: '# UI-010: Dark mode for the board\n\nAs a user working at night I want a dark theme.\n',
    });
    expect((await harness.links('UI-010')).find((link) => link.type === 'pr')).toMatchObject({
      key: '12',
      state: 'open',
      title: 'Dark mode',
    });
    const history = await harness.history('UI-010');
    expect(history[0]).toMatchObject({ action: 'story.created', deliveryId: opened.id });

    const commit = sha('new story commit');
    const message = 'Sketch the CSV export\n\nNew-Story: Export the board as CSV';
    const pushed = await harness.github(
      'push',
      githubPush('feature/csv-export', [{ id: commit, message }]),
    );
    expect(pushed.operations[0].changes[0]).toMatchObject({
      story: 'STORY-001',
      field: '(story)',
      before: null,
    });
    expect(await harness.story('STORY-001')).toMatchObject({
      title: 'Export the board as CSV',
      branch_name: 'feature/csv-export',
      status: 'in_progress',
    });
    expect((await harness.links('STORY-001')).map((link) => [link.type, link.key])).toEqual(
      expect.arrayContaining([
        ['branch', 'feature/csv-export'],
        ['commit', commit],
      ]),
    );

    // The same commit reaching the default branch creates no second story.
    await harness.github(
      'push',
      githubPush(GITHUB_DEFAULT_BRANCH, [
        { id: commit, message },
        { id: sha('merge csv'), message: 'Merge branch feature/csv-export' },
      ]),
    );
    expect((await harness.api('GET', '/stories/STORY-002')).status).toBe(404);

    // Rolling the operation back deletes the story it created.
    const rollback = await harness.api('POST', `/operations/${pushed.operations[0].id}/rollback`);
    expect(rollback.status).toBe(200);
    expect(rollback.body.changes).toContainEqual(
      expect.objectContaining({ story: 'STORY-001', field: '(story)', after: null }),
    );
    expect((await harness.api('GET', '/stories/STORY-001')).status).toBe(404);
    expect((await harness.history('STORY-001')).at(-1)).toMatchObject({
      action: 'story.deleted',
      operationId: rollback.body.id,
    });
  });

  it('smart commands in a pushed commit act on the story they name', async () => {
    const commit = sha('smart commands');
    const message =
      'Connect the Slack client\n\nINT-004 #in_progress\nINT-004 #comment Started on the Slack client';
    const pushed = await harness.github(
      'push',
      githubPush(GITHUB_DEFAULT_BRANCH, [{ id: commit, message }]),
    );
    expect(pushed.operations).toHaveLength(1);
    const operation = pushed.operations[0];
    expect(operation.changes).toEqual([
      { story: 'INT-004', field: 'status', before: 'ready', after: 'in_progress' },
    ]);
    expect(operation.comments).toEqual([
      { story: 'INT-004', text: 'Started on the Slack client', rule: 'smart command' },
    ]);
    expect(operation.steps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          rule: 'smart command',
          action: 'INT-004 #in_progress',
          because: `commit ${commit.slice(0, 12)}`,
        }),
      ]),
    );
    expect((await harness.story('INT-004')).status).toBe('in_progress');
    const history = await harness.history('INT-004');
    expect(history).toContainEqual(
      expect.objectContaining({
        action: 'story.commented',
        after: { comment: 'Started on the Slack client' },
        operationId: operation.id,
      }),
    );

    // The same commit reaching another branch does not comment twice.
    await harness.github('push', githubPush('release/1.0', [{ id: commit, message }]));
    expect(
      (await harness.history('INT-004')).filter((entry) => entry.action === 'story.commented'),
    ).toHaveLength(1);

    // A move the workflow does not allow is not made.
    const refused = await harness.github(
      'push',
      githubPush(GITHUB_DEFAULT_BRANCH, [
        { id: sha('refused command'), message: 'Ship it\n\nINT-004 #accepted' },
      ]),
    );
    expect((await harness.story('INT-004')).status).toBe('in_progress');
    for (const operation of refused.operations) expect(operation.changes).toEqual([]);
  });

  it('lookalikes, unknown ids and the default branch name no story', async () => {
    const before = await snapshot(harness);
    const delivery = await harness.github(
      'push',
      githubPush('feature/encoding', [
        {
          id: sha('lookalikes'),
          message: [
            'Read files as UTF-8 and hash them with SHA-256',
            '',
            'Per RFC-2119 and ISO-8601; fixes CVE-2024-1234.',
            'See docs/INT-003.md, `INT-004 #done` and INT-0x3.',
            'ZZZ-999 #done',
            'Closes ABC-123',
          ].join('\n'),
        },
      ]),
    );
    expect(delivery.status).toBe('processed');
    expect(delivery.operations).toEqual([]);
    expect(await snapshot(harness)).toEqual(before);

    // A mention pushed to the default branch does not make later events there name the story.
    const mention = await harness.github(
      'push',
      githubPush(GITHUB_DEFAULT_BRANCH, [{ id: sha('mention'), message: 'Docs for INT-004' }]),
    );
    expect(mention.operations).toEqual([]);
    const deployed = await harness.github(
      'deployment_status',
      githubDeploymentStatus('success', { sha: sha('unrelated'), environment: 'production' }),
    );
    expect(deployed.operations).toEqual([]);
    expect(await snapshot(harness)).toEqual(before);
  });

  it('a draft PR does not move its story; ready for review does', async () => {
    const pr = { number: 21, head: 'ui-007-board-view', body: 'Closes UI-007', draft: true };
    const draft = await harness.github('pull_request', githubPullRequest('opened', pr));
    expect(draft.status).toBe('processed');
    expect(draft.operations).toEqual([]);
    expect((await harness.story('UI-007')).status).toBe('draft');
    expect((await harness.links('UI-007')).find((link) => link.type === 'pr')).toMatchObject({
      key: '21',
      state: 'draft',
    });

    const ready = await harness.github(
      'pull_request',
      githubPullRequest('ready_for_review', { ...pr, draft: false }),
    );
    expect(ready.operations[0]).toMatchObject({
      trigger: { kind: 'pr.ready' },
      changes: [{ story: 'UI-007', field: 'status', before: 'draft', after: 'in_review' }],
    });
  });
});

describeEachStore('New-Story trailers with a configured prefix', (open) => {
  it('creates IDEA-001 when automation.newStoryPrefix is IDEA', async () => {
    const defaults = loadConfig({ env: {}, cwd: '/nonexistent' });
    const harness = await startAutomationHarness(await open(), {
      config: { automation: { ...defaults.automation, newStoryPrefix: 'IDEA' } },
      importFixtures: false,
    });
    try {
      const pushed = await harness.github(
        'push',
        githubPush('feature/ideas', [
          { id: sha('idea'), message: 'Spike\n\nNew-Story: Keyboard shortcuts' },
        ]),
      );
      expect(pushed.operations[0].changes[0]).toMatchObject({ story: 'IDEA-001' });
      expect(await harness.story('IDEA-001')).toMatchObject({ title: 'Keyboard shortcuts' });
    } finally {
      await harness.close();
    }
  });
});
