// End to end through Azure DevOps: Microsoft's service hook examples (test/fixtures/azure-devops),
// edited to name the fixture stories, sent to /webhooks/azure-devops with basic-auth
// credentials, as a "Web Hooks" subscription sends them.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  type AutomationHarness,
  type Delivery,
  snapshot,
  startAutomationHarness,
} from '../support/automation-e2e.js';
import { sha } from '../support/automation-payloads.js';
import {
  AZURE_DEVOPS_REPOSITORY,
  azureBuild,
  azureDeployment,
  azureDevopsTestConfig,
  azurePullRequest,
  azurePush,
  basicAuth,
  postAzureDevops,
} from '../support/azure-devops-webhooks.js';
import { describeEachStore } from '../support/store-factories.js';
import { webhookTestConfig } from '../support/webhooks.js';

const INT_003_BRANCH = 'int-003-cicd-integration-endpoints';
const INT_004_BRANCH = 'int-004-slack-notifications';

describeEachStore('automation end to end through Azure DevOps service hooks', (open) => {
  let harness: AutomationHarness;
  /** Posts with the configured password, runs the worker, answers the processed delivery. */
  let azure: (payload: unknown) => Promise<Delivery>;
  beforeEach(async () => {
    harness = await startAutomationHarness(await open(), {
      config: {
        webhooks: { ...webhookTestConfig(), azureDevops: azureDevopsTestConfig() },
        inbox: {
          max: 1_000_000,
          leaseMs: 30_000,
          retrySchedule: [60],
          batchSize: 200,
          pollMs: 1000,
          workers: false,
          workerNiceness: 0,
        },
      },
    });
    azure = async (payload) => {
      const answer = await postAzureDevops(harness.server.url, payload);
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
    };
  });
  afterEach(async () => {
    await harness.close();
  });

  it('walks INT-003 from draft to done, through a failing build, to production', async () => {
    const firstCommit = sha('azure first commit');
    const push = azurePush(
      INT_003_BRANCH,
      [{ id: firstCommit, message: 'Sketch the CI endpoints' }],
      { created: true },
    );
    // A wrong password, no credentials, or the password as the user name: 401, nothing stored.
    for (const options of [
      { password: 'wrong' },
      { authorization: '' },
      { authorization: basicAuth('azure-devops-test-password', '') },
    ]) {
      const forged = await postAzureDevops(harness.server.url, push, options);
      expect(forged.status, JSON.stringify(options)).toBe(401);
    }
    expect((await harness.api('GET', '/deliveries')).body.items).toEqual([]);

    const pushed = await azure(push);
    expect(pushed.status).toBe('processed');
    expect(pushed.operations).toHaveLength(1);
    expect(pushed.operations[0]).toMatchObject({
      trigger: { kind: 'branch.created', rule: 'default: branch created or pushed → in_progress' },
      changes: [{ story: 'INT-003', field: 'status', before: 'draft', after: 'in_progress' }],
      repository: AZURE_DEVOPS_REPOSITORY,
    });

    const pr = { id: 4, source: INT_003_BRANCH, description: 'Closes INT-003' };
    const opened = await azure(azurePullRequest('git.pullrequest.created', pr));
    expect(opened.operations[0]).toMatchObject({
      trigger: { kind: 'pr.opened' },
      changes: [{ story: 'INT-003', field: 'status', before: 'in_progress', after: 'in_review' }],
    });

    const failing = await azure(
      azureBuild('failed', { id: 31, branch: INT_003_BRANCH, sha: firstCommit }),
    );
    expect(failing.operations[0]).toMatchObject({
      trigger: { kind: 'pipeline.failed', rule: 'default: pipeline failed → label ci-failing' },
      changes: [{ story: 'INT-003', field: 'labels' }],
    });
    expect((await harness.story('INT-003')).labels).toContain('ci-failing');
    expect((await harness.links('INT-003')).find((link) => link.type === 'pipeline')).toMatchObject(
      { key: INT_003_BRANCH, state: 'failed', sha: firstCommit },
    );

    const passing = await azure(
      azureBuild('succeeded', { id: 32, branch: INT_003_BRANCH, sha: firstCommit }),
    );
    expect(passing.operations[0].trigger.rule).toBe(
      'default: pipeline succeeded → remove ci-failing',
    );
    expect((await harness.story('INT-003')).labels).not.toContain('ci-failing');

    const mergeSha = sha('azure INT-003 merge commit');
    const merged = await azure(
      azurePullRequest('git.pullrequest.updated', { ...pr, status: 'completed', mergeSha }),
    );
    expect(merged.operations[0]).toMatchObject({
      trigger: { kind: 'pr.merged', rule: 'default: merged into the default branch → done' },
      changes: [{ story: 'INT-003', field: 'status', before: 'in_review', after: 'done' }],
    });
    // The "merge commit created" event of the same completion changes nothing more.
    const mergeCommit = await azure(
      azurePullRequest('git.pullrequest.merged', { ...pr, status: 'completed', mergeSha }),
    );
    expect(mergeCommit.status).toBe('processed');
    expect(mergeCommit.operations).toEqual([]);

    const deployed = await azure(
      azureDeployment('succeeded', { environment: 'production', environmentId: 15, sha: mergeSha }),
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
    });
    expect((await harness.story('INT-003')).status).toBe('done');
  });

  it('a deployment to production finishes a story merged elsewhere; its failure rolls that back', async () => {
    const pr = { id: 5, source: INT_004_BRANCH, target: 'develop', description: 'Closes INT-004' };
    await azure(azurePullRequest('git.pullrequest.created', pr));
    expect((await harness.story('INT-004')).status).toBe('in_review');

    const mergeSha = sha('azure INT-004 merge into develop');
    const merged = await azure(
      azurePullRequest('git.pullrequest.updated', { ...pr, status: 'completed', mergeSha }),
    );
    expect(merged.operations).toEqual([]);
    expect((await harness.story('INT-004')).status).toBe('in_review');

    const deployment = { environment: 'production', environmentId: 16, sha: mergeSha };
    const succeeded = await azure(azureDeployment('succeeded', deployment));
    const deployOperation = succeeded.operations[0];
    expect(deployOperation).toMatchObject({
      trigger: { kind: 'deployment.succeeded', rule: 'default: deployed to production → done' },
      changes: [{ story: 'INT-004', field: 'status', before: 'in_review', after: 'done' }],
    });

    const failed = await azure(azureDeployment('rejected', deployment));
    expect(failed.operations[0]).toMatchObject({
      trigger: { kind: 'deployment.failed' },
      changes: [{ story: 'INT-004', field: 'status', before: 'done', after: 'in_review' }],
    });
    expect((await harness.api('GET', `/operations/${deployOperation.id}`)).body).toMatchObject({
      status: 'rolled_back',
      rolledBackBy: failed.operations[0].id,
    });
  });

  it('a redelivered event (same event id) applies nothing twice', async () => {
    const push = azurePush(INT_004_BRANCH, [{ id: sha('az redelivery'), message: 'Slack' }], {
      created: true,
    });
    const first = await azure(push);
    expect(first.operations[0].changes).toEqual([
      { story: 'INT-004', field: 'status', before: 'ready', after: 'in_progress' },
    ]);
    const before = await snapshot(harness);
    const again = await azure(push);
    expect(again).toMatchObject({ id: first.id, duplicate: true, status: 'processed' });
    expect(await snapshot(harness)).toEqual(before);
    // The same body under a new event id is a new event (Azure DevOps' id, not the body, decides).
    const other = await postAzureDevops(harness.server.url, { ...push, id: randomUUID() });
    expect(other.body.duplicate).toBe(false);
  });

  it('the delivery keeps the body’s eventType as its event and the event id as its delivery id', async () => {
    const push = azurePush(INT_004_BRANCH, [{ id: sha('az stored'), message: 'Slack' }]);
    const stored = await azure(push);
    const delivery = (await harness.api('GET', `/deliveries/${stored.id}`)).body;
    expect(delivery).toMatchObject({
      provider: 'azure-devops',
      event: 'git.push',
      deliveryId: push.id,
      repository: AZURE_DEVOPS_REPOSITORY,
    });
    expect(JSON.stringify(delivery.headers ?? {})).not.toContain('Basic');
  });

  it('rules simulate takes an Azure DevOps payload with its eventType, changing nothing', async () => {
    const payload = azurePullRequest('git.pullrequest.created', {
      id: 9,
      source: INT_003_BRANCH,
      description: 'Closes INT-003',
    });
    const simulated = await harness.api('POST', '/rules/simulate', {
      json: { provider: 'azure-devops', event: payload.eventType, payload },
    });
    expect(simulated.status, simulated.text).toBe(200);
    expect(simulated.body.events[0]).toMatchObject({
      kind: 'pr.opened',
      provider: 'azure-devops',
      repository: AZURE_DEVOPS_REPOSITORY,
    });
    expect(simulated.body.operations[0]).toMatchObject({
      status: 'simulated',
      changes: [{ story: 'INT-003', field: 'status', before: 'draft', after: 'in_review' }],
    });
    expect((await harness.story('INT-003')).status).toBe('draft');
  });
});
