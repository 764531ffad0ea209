// Out-of-order deliveries, end to end: the real GitHub and GitLab example payloads, edited into
// one chronological story of a deployment, a pipeline and a pull/merge request, are delivered
// newest first (as GitHub does during incidents) through the signed webhook routes. The newest
// fact applies; each older one is recorded, explained and skipped, so nothing rolls back.
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  type AutomationHarness,
  type Delivery,
  startAutomationHarness,
} from '../support/automation-e2e.js';
import {
  githubDeployment,
  githubDeploymentStatus,
  githubPullRequest,
  githubWorkflowRun,
  gitlabDeployment,
  gitlabMergeRequest,
  gitlabPipeline,
  sha,
} from '../support/automation-payloads.js';
import { describeEachStore } from '../support/store-factories.js';

const INT_003_BRANCH = 'int-003-cicd-integration-endpoints';
const INT_004_BRANCH = 'int-004-slack-notifications';

/** The one operation of a skipped delivery: no change, one step saying what it was older than. */
function expectSkipped(delivery: Delivery, kind: string, newer: Delivery) {
  expect(delivery.status).toBe('processed');
  expect(delivery.operations).toHaveLength(1);
  expect(delivery.operations[0]).toMatchObject({
    status: 'applied',
    trigger: { kind, delivery: delivery.id },
    changes: [],
  });
  expect(delivery.operations[0].steps).toEqual([
    expect.objectContaining({
      rule: 'event order',
      action: `skip ${kind}`,
      skipped: expect.stringMatching(new RegExp(`^older than .* from delivery ${newer.id}$`)),
    }),
  ]);
}

describeEachStore('out-of-order deliveries do not undo newer facts', (open) => {
  let harness: AutomationHarness;
  beforeEach(async () => {
    harness = await startAutomationHarness(await open());
  });
  afterEach(async () => {
    await harness.close();
  });

  async function skippedAudit(): Promise<any[]> {
    const answer = await harness.api('GET', '/audit?action=event.skipped&limit=100');
    expect(answer.status).toBe(200);
    return answer.body.items;
  }

  it('GitHub: a deployment succeeded, then its older error, in_progress and creation arrive — nothing rolls back', async () => {
    // INT-004 merged into develop (not the default branch): its deployment finishes it.
    const pr = { number: 8, head: INT_004_BRANCH, base: 'develop', body: 'Closes INT-004' };
    const mergeSha = sha('INT-004 merge into develop');
    await harness.github('pull_request', githubPullRequest('opened', pr));
    await harness.github('pull_request', githubPullRequest('closed', { ...pr, mergeSha }));
    expect((await harness.story('INT-004')).status).toBe('in_review');

    const deployment = { sha: mergeSha, environment: 'production', ref: 'develop' };
    const id = 501;
    // What happened, oldest first: created, in_progress, a transient error, then success.
    const created = githubDeployment({
      ...deployment,
      deploymentId: id,
      at: '2025-06-01T10:00:00Z',
    });
    const inProgress = githubDeploymentStatus('in_progress', {
      ...deployment,
      deploymentId: id,
      statusId: 9001,
      at: '2025-06-01T10:00:05Z',
    });
    const errored = githubDeploymentStatus('error', {
      ...deployment,
      deploymentId: id,
      statusId: 9002,
      at: '2025-06-01T10:01:00Z',
    });
    const succeeded = githubDeploymentStatus('success', {
      ...deployment,
      deploymentId: id,
      statusId: 9003,
      at: '2025-06-01T10:03:00Z',
    });

    // Delivered newest first.
    const success = await harness.github('deployment_status', succeeded);
    expect(success.operations).toHaveLength(1);
    expect(success.operations[0]).toMatchObject({
      trigger: { kind: 'deployment.succeeded' },
      changes: [{ story: 'INT-004', field: 'status', before: 'in_review', after: 'done' }],
    });
    const error = await harness.github('deployment_status', errored);
    const started = await harness.github('deployment_status', inProgress);
    const creation = await harness.github('deployment', created);

    expectSkipped(error, 'deployment.failed', success);
    expectSkipped(started, 'deployment.started', success);
    expectSkipped(creation, 'deployment.started', success);
    expect(error.operations[0].steps[0]).toMatchObject({
      story: 'INT-004',
      because: `deployment github:${id}@production at sequence 9002, 2025-06-01T10:01:00.000Z`,
      skipped: `older than deployment.succeeded (sequence 9003, 2025-06-01T10:03:00.000Z) already applied from delivery ${success.id}`,
    });

    // The success stands: the story stays done, its operation applied, the link succeeded.
    expect((await harness.story('INT-004')).status).toBe('done');
    const [successOperation] = await harness
      .operations()
      .then((all) => all.filter((operation) => operation.id === success.operations[0].id));
    expect(successOperation).toMatchObject({ status: 'applied', rolledBackBy: null });
    expect(
      (await harness.links('INT-004')).find((link) => link.type === 'deployment'),
    ).toMatchObject({ key: 'production', state: 'succeeded' });

    // Each skip is audited with both positions.
    const audit = await skippedAudit();
    expect(audit.map((entry) => entry.deliveryId)).toEqual(
      expect.arrayContaining([error.id, started.id, creation.id]),
    );
    expect(audit.find((entry) => entry.deliveryId === error.id)).toMatchObject({
      action: 'event.skipped',
      before: { kind: 'deployment.succeeded', sequence: 9003, delivery: success.id },
      after: { kind: 'deployment.failed', sequence: 9002 },
    });

    // A replay of a skipped delivery changes nothing either.
    const replayed = await harness.api('POST', `/deliveries/${error.id}/replay`);
    expect(replayed.status).toBe(202);
    await harness.drain();
    expect((await harness.story('INT-004')).status).toBe('done');
  });

  it('GitHub: a re-run that succeeded is not undone by the first attempt failing late', async () => {
    const run = { id: 7001, branch: INT_003_BRANCH, sha: sha('INT-003 head') };
    const requested = githubWorkflowRun('requested', {
      ...run,
      attempt: 1,
      at: '2025-06-01T09:00:00Z',
    });
    const failed = githubWorkflowRun('completed', {
      ...run,
      attempt: 1,
      at: '2025-06-01T09:05:00Z',
      conclusion: 'failure',
    });
    const succeeded = githubWorkflowRun('completed', {
      ...run,
      attempt: 2,
      at: '2025-06-01T09:04:00Z', // an earlier clock reading: the attempt decides
      conclusion: 'success',
    });

    const success = await harness.github('workflow_run', succeeded);
    expect(success.status).toBe('processed');
    const failure = await harness.github('workflow_run', failed);
    const start = await harness.github('workflow_run', requested);
    expectSkipped(failure, 'pipeline.failed', success);
    expectSkipped(start, 'pipeline.started', success);

    expect((await harness.story('INT-003')).labels).not.toContain('ci-failing');
    expect((await harness.links('INT-003')).find((link) => link.type === 'pipeline')).toMatchObject(
      { key: INT_003_BRANCH, state: 'succeeded' },
    );
  });

  it('GitHub: a merged pull request stays merged when its older ready and opened events arrive', async () => {
    const pr = { number: 9, head: INT_003_BRANCH, body: 'Closes INT-003' };
    const merged = await harness.github(
      'pull_request',
      githubPullRequest('closed', {
        ...pr,
        mergeSha: sha('INT-003 merge'),
        at: '2019-05-15T15:21:30Z',
      }),
    );
    expect(merged.operations[0]).toMatchObject({ trigger: { kind: 'pr.merged' } });
    expect((await harness.story('INT-003')).status).toBe('done');

    // The examples' own times: opened 15:20:33, ready_for_review 15:21:18.
    const ready = await harness.github('pull_request', githubPullRequest('ready_for_review', pr));
    const opened = await harness.github(
      'pull_request',
      githubPullRequest('opened', { ...pr, title: 'An old title' }),
    );
    expectSkipped(ready, 'pr.ready', merged);
    expectSkipped(opened, 'pr.opened', merged);
    expect((await harness.links('INT-003')).find((link) => link.type === 'pr')).toMatchObject({
      key: '9',
      state: 'merged',
      title: 'Work on int-003-cicd-integration-endpoints',
    });
  });

  it('GitLab: a merged MR, a passed pipeline and a finished deployment outlast their older hooks', async () => {
    // Merge request: open (the example's 2013-12-03T17:23:34Z), merged a day later.
    const mr = { iid: 11, source: INT_003_BRANCH, description: 'Closes INT-003' };
    const merge = await harness.gitlab(
      'Merge Request Hook',
      gitlabMergeRequest('merge', { ...mr, mergeSha: sha('gl merge'), at: '2013-12-04T09:00:00Z' }),
    );
    expect((await harness.story('INT-003')).status).toBe('done');
    const open = await harness.gitlab('Merge Request Hook', gitlabMergeRequest('open', mr));
    expectSkipped(open, 'pr.opened', merge);
    expect((await harness.links('INT-003')).find((link) => link.type === 'pr')).toMatchObject({
      state: 'merged',
    });

    // Pipeline: failed at the example's finished_at, then succeeded after a retry.
    const pipeline = { ref: INT_004_BRANCH, sha: sha('INT-004 head'), id: 4242 };
    const success = await harness.gitlab(
      'Pipeline Hook',
      gitlabPipeline('success', { ...pipeline, finishedAt: '2016-08-12 15:40:00 UTC' }),
    );
    const failure = await harness.gitlab('Pipeline Hook', gitlabPipeline('failed', pipeline));
    const running = await harness.gitlab(
      'Pipeline Hook',
      gitlabPipeline('running', { ...pipeline, finishedAt: null }),
    );
    expectSkipped(failure, 'pipeline.failed', success);
    expectSkipped(running, 'pipeline.started', success);
    expect((await harness.story('INT-004')).labels).not.toContain('ci-failing');

    // Deployment: running, then success (the example's status_changed_at); delivered reversed.
    const deployment = { sha: sha('gl merge'), environment: 'production', id: 77 };
    const deployed = await harness.gitlab(
      'Deployment Hook',
      gitlabDeployment('success', deployment),
    );
    const startedLate = await harness.gitlab(
      'Deployment Hook',
      gitlabDeployment('running', { ...deployment, at: '2021-04-28 21:45:00 +0200' }),
    );
    expectSkipped(startedLate, 'deployment.started', deployed);
    expect(
      (await harness.links('INT-003')).find((link) => link.type === 'deployment'),
    ).toMatchObject({ key: 'production', state: 'succeeded' });
  });

  it('facts in their own order all apply (the newest last)', async () => {
    const deployment = { sha: sha('in order'), environment: 'production', ref: 'develop' };
    const pr = { number: 12, head: INT_004_BRANCH, base: 'develop', body: 'Closes INT-004' };
    await harness.github('pull_request', githubPullRequest('opened', pr));
    await harness.github(
      'pull_request',
      githubPullRequest('closed', { ...pr, mergeSha: deployment.sha }),
    );
    const success = await harness.github(
      'deployment_status',
      githubDeploymentStatus('success', {
        ...deployment,
        deploymentId: 601,
        statusId: 1,
        at: '2025-06-01T10:00:00Z',
      }),
    );
    expect((await harness.story('INT-004')).status).toBe('done');
    const failure = await harness.github(
      'deployment_status',
      githubDeploymentStatus('failure', {
        ...deployment,
        deploymentId: 601,
        statusId: 2,
        at: '2025-06-01T10:05:00Z',
      }),
    );
    // Newer: applied, and it rolls the success back.
    expect(failure.operations[0].steps).toContainEqual(
      expect.objectContaining({
        rule: 'automatic rollback',
        action: `roll back ${success.operations[0].id}`,
      }),
    );
    expect((await harness.story('INT-004')).status).toBe('in_review');
    expect(await skippedAudit()).toEqual([]);
  });
});
