// End to end through GitLab: the documented webhook examples (test/fixtures/gitlab), edited to
// name the fixture stories, sent to /webhooks/gitlab with the X-Gitlab-Token.
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  type AutomationHarness,
  snapshot,
  startAutomationHarness,
} from '../support/automation-e2e.js';
import {
  GITLAB_REPOSITORY,
  gitlabDeployment,
  gitlabMergeRequest,
  gitlabPipeline,
  gitlabPush,
  sha,
} from '../support/automation-payloads.js';
import { describeEachStore } from '../support/store-factories.js';
import { postGitlab } from '../support/webhooks.js';

const INT_003_BRANCH = 'int-003-cicd-integration-endpoints';
const INT_004_BRANCH = 'int-004-slack-notifications';

describeEachStore('automation end to end through GitLab webhooks', (open) => {
  let harness: AutomationHarness;
  beforeEach(async () => {
    harness = await startAutomationHarness(await open());
  });
  afterEach(async () => {
    await harness.close();
  });

  it('walks INT-003 from draft to done, through a failing pipeline, to production', async () => {
    const firstCommit = sha('gitlab first commit');
    const push = gitlabPush(
      INT_003_BRANCH,
      [{ id: firstCommit, message: 'Sketch the CI endpoints' }],
      { created: true },
    );
    // Without the secret token nothing is stored.
    const forged = await postGitlab(harness.server.url, 'Push Hook', push, { token: 'wrong' });
    expect(forged.status).toBe(401);
    expect((await harness.api('GET', '/deliveries')).body.items).toEqual([]);

    const pushed = await harness.gitlab('Push Hook', push);
    expect(pushed.status).toBe('processed');
    expect(pushed.operations).toHaveLength(1);
    expect(pushed.operations[0]).toMatchObject({
      trigger: { kind: 'branch.created', rule: 'default: branch created or pushed → in_progress' },
      changes: [{ story: 'INT-003', field: 'status', before: 'draft', after: 'in_progress' }],
      repository: GITLAB_REPOSITORY,
    });

    const mr = { iid: 4, source: INT_003_BRANCH, description: 'Closes INT-003' };
    const opened = await harness.gitlab('Merge Request Hook', gitlabMergeRequest('open', mr));
    expect(opened.operations[0]).toMatchObject({
      trigger: { kind: 'pr.opened' },
      changes: [{ story: 'INT-003', field: 'status', before: 'in_progress', after: 'in_review' }],
    });

    const pipeline = { ref: INT_003_BRANCH, sha: firstCommit };
    const failing = await harness.gitlab(
      'Pipeline Hook',
      gitlabPipeline('failed', { ...pipeline, id: 31 }),
    );
    expect(failing.operations[0]).toMatchObject({
      trigger: { kind: 'pipeline.failed', rule: 'default: pipeline failed → label ci-failing' },
      changes: [{ story: 'INT-003', field: 'labels' }],
    });
    expect((await harness.story('INT-003')).labels).toEqual([
      'integration',
      'cicd',
      'automation',
      'webhooks',
      'ci-failing',
    ]);
    expect((await harness.links('INT-003')).find((link) => link.type === 'pipeline')).toMatchObject(
      { key: INT_003_BRANCH, state: 'failed', sha: firstCommit },
    );

    const passing = await harness.gitlab(
      'Pipeline Hook',
      gitlabPipeline('success', { ...pipeline, id: 32 }),
    );
    expect(passing.operations[0].trigger.rule).toBe(
      'default: pipeline succeeded → remove ci-failing',
    );
    expect((await harness.story('INT-003')).labels).toEqual([
      'integration',
      'cicd',
      'automation',
      'webhooks',
    ]);

    const mergeSha = sha('gitlab INT-003 merge commit');
    const merged = await harness.gitlab(
      'Merge Request Hook',
      gitlabMergeRequest('merge', { ...mr, mergeSha }),
    );
    expect(merged.operations[0]).toMatchObject({
      trigger: { kind: 'pr.merged', rule: 'default: merged into the default branch → done' },
      changes: [{ story: 'INT-003', field: 'status', before: 'in_review', after: 'done' }],
    });

    const deployed = await harness.gitlab(
      'Deployment Hook',
      gitlabDeployment('success', { sha: mergeSha, environment: 'production', id: 15 }),
    );
    expect(deployed.status).toBe('processed');
    expect(deployed.operations).toEqual([]);
    const links = await harness.links('INT-003');
    expect(links.map((link) => link.type).sort()).toEqual([
      'branch',
      'commit',
      'deployment',
      'pipeline',
      'pr',
    ]);
    expect(links.find((link) => link.type === 'pr')).toMatchObject({
      key: '4',
      state: 'merged',
      sha: mergeSha,
    });
    expect(links.find((link) => link.type === 'deployment')).toMatchObject({
      key: 'production',
      state: 'succeeded',
      sha: mergeSha,
      url: 'https://production.example.com',
    });
    expect((await harness.story('INT-003')).status).toBe('done');
  });

  it('a deployment finishes a story merged elsewhere; its failure rolls that back', async () => {
    const mr = { iid: 5, source: INT_004_BRANCH, target: 'develop', description: 'Closes INT-004' };
    await harness.gitlab('Merge Request Hook', gitlabMergeRequest('open', mr));
    expect((await harness.story('INT-004')).status).toBe('in_review');

    const mergeSha = sha('gitlab INT-004 merge into develop');
    const merged = await harness.gitlab(
      'Merge Request Hook',
      gitlabMergeRequest('merge', { ...mr, mergeSha }),
    );
    expect(merged.operations).toEqual([]);
    expect((await harness.story('INT-004')).status).toBe('in_review');

    const deployment = { sha: mergeSha, environment: 'production', id: 16 };
    const succeeded = await harness.gitlab(
      'Deployment Hook',
      gitlabDeployment('success', deployment),
    );
    const deployOperation = succeeded.operations[0];
    expect(deployOperation).toMatchObject({
      trigger: { kind: 'deployment.succeeded', rule: 'default: deployed to production → done' },
      changes: [{ story: 'INT-004', field: 'status', before: 'in_review', after: 'done' }],
    });

    const failed = await harness.gitlab('Deployment Hook', gitlabDeployment('failed', deployment));
    expect(failed.operations[0]).toMatchObject({
      trigger: { kind: 'deployment.failed' },
      changes: [{ story: 'INT-004', field: 'status', before: 'done', after: 'in_review' }],
    });
    expect((await harness.story('INT-004')).status).toBe('in_review');
    expect((await harness.api('GET', `/operations/${deployOperation.id}`)).body).toMatchObject({
      status: 'rolled_back',
      rolledBackBy: failed.operations[0].id,
    });
  });

  it('a redelivered hook (same event UUID) applies nothing twice', async () => {
    const push = gitlabPush(INT_004_BRANCH, [{ id: sha('gl redelivery'), message: 'Slack' }], {
      created: true,
    });
    const first = await harness.gitlab('Push Hook', push, { uuid: 'gl-uuid-1' });
    expect(first.operations[0].changes).toEqual([
      { story: 'INT-004', field: 'status', before: 'ready', after: 'in_progress' },
    ]);
    const before = await snapshot(harness);
    const again = await harness.gitlab('Push Hook', push, { uuid: 'gl-uuid-1' });
    expect(again).toMatchObject({ id: first.id, duplicate: true, status: 'processed' });
    expect(await snapshot(harness)).toEqual(before);
  });
});
