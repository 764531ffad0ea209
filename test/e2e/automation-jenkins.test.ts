// End to end as Jenkins would report it: the `sh` steps of docs/examples/automation/
// jenkins-curl.sh run with bash (curl) against the server, with a ci:events + deployments:write
// token held to acme/shop, and the JSON bodies docs/automation.md shows.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type AutomationHarness, startAutomationHarness } from '../support/automation-e2e.js';
import { sha } from '../support/automation-payloads.js';
import { exampleJson, runExampleScript } from '../support/docs-examples.js';
import { http } from '../support/http.js';
import { describeEachStore } from '../support/store-factories.js';

const INT_003_BRANCH = 'int-003-cicd-integration-endpoints';

describeEachStore('automation end to end as Jenkins reports it', (open) => {
  let harness: AutomationHarness;
  let token: string;
  beforeEach(async () => {
    harness = await startAutomationHarness(await open());
    const created = await harness.api('POST', '/tokens', {
      json: {
        name: 'jenkins',
        scopes: ['ci:events', 'deployments:write'],
        repositories: ['acme/shop'],
      },
    });
    expect(created.status).toBe(201);
    token = created.body.token;
  });
  afterEach(async () => {
    await harness.close();
  });

  /** Runs one step of the Jenkins script; answers storyflow's JSON answer. */
  const step = async (name: string, build: number, env: Record<string, string>) => {
    const result = await runExampleScript('jenkins-curl.sh', [name], {
      STORYFLOW_URL: harness.server.url,
      STORYFLOW_TOKEN: token,
      JOB_NAME: 'shop',
      BUILD_NUMBER: String(build),
      BUILD_URL: `https://jenkins.example.com/job/shop/${build}/`,
      ...env,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.json).toMatchObject({ status: 'processed' });
    return result.json;
  };
  const branchBuild = (commit: string) => ({ BRANCH_NAME: INT_003_BRANCH, GIT_COMMIT: commit });
  const prBuild = (commit: string) => ({
    BRANCH_NAME: 'PR-7',
    CHANGE_ID: '7',
    CHANGE_BRANCH: INT_003_BRANCH,
    CHANGE_TARGET: 'main',
    CHANGE_TITLE: 'CI/CD integration endpoints',
    CHANGE_URL: 'https://github.com/acme/shop/pull/7',
    GIT_COMMIT: commit,
  });

  it('walks INT-003 from draft to done and to production through the sh steps', async () => {
    const commit = sha('jenkins first commit');
    let answer = await step('push', 1, branchBuild(commit));
    expect(answer.operations[0]).toMatchObject({
      trigger: { kind: 'push', rule: 'default: branch created or pushed → in_progress' },
      changes: [{ story: 'INT-003', field: 'status', before: 'draft', after: 'in_progress' }],
      repository: 'acme/shop',
    });

    answer = await step('pr-opened', 2, prBuild(commit));
    expect(answer.operations[0].changes).toEqual([
      { story: 'INT-003', field: 'status', before: 'in_progress', after: 'in_review' },
    ]);

    answer = await step('pipeline-failed', 2, prBuild(commit));
    expect(answer.operations[0].trigger.rule).toBe('default: pipeline failed → label ci-failing');
    expect((await harness.story('INT-003')).labels).toContain('ci-failing');
    expect((await harness.links('INT-003')).find((link) => link.type === 'pipeline')).toMatchObject(
      {
        key: INT_003_BRANCH,
        state: 'failed',
        url: 'https://jenkins.example.com/job/shop/2/',
        title: 'shop',
      },
    );

    answer = await step('pipeline-succeeded', 3, prBuild(commit));
    expect((await harness.story('INT-003')).labels).not.toContain('ci-failing');

    const mergeSha = sha('jenkins merge commit');
    answer = await step('pr-merged', 3, prBuild(mergeSha));
    expect(answer.operations[0]).toMatchObject({
      trigger: { kind: 'pr.merged', rule: 'default: merged into the default branch → done' },
      changes: [{ story: 'INT-003', field: 'status', before: 'in_review', after: 'done' }],
    });

    const deployBuild = { BRANCH_NAME: 'main', GIT_COMMIT: mergeSha };
    answer = await step('deployed', 4, deployBuild);
    expect(answer.operations).toEqual([]); // already done: the deployment is linked
    const links = await harness.links('INT-003');
    expect(links.map((link) => link.type).sort()).toEqual([
      'branch',
      'deployment',
      'pipeline',
      'pr',
    ]);
    expect(links.find((link) => link.type === 'deployment')).toMatchObject({
      key: 'production',
      state: 'succeeded',
      sha: mergeSha,
      url: 'https://jenkins.example.com/job/shop/4/',
    });

    // Jenkins retrying the step (same build, same Idempotency-Key) is the same delivery.
    const deliveries = (await harness.api('GET', '/deliveries?provider=ci')).body.items.length;
    const retried = await step('deployed', 4, deployBuild);
    expect(retried.delivery).toBe(answer.delivery);
    expect((await harness.api('GET', '/deliveries?provider=ci')).body.items).toHaveLength(
      deliveries,
    );

    // The deployment changed nothing, so its failure has nothing to undo.
    answer = await step('deploy-failed', 5, deployBuild);
    expect(answer.operations).toEqual([]);
    expect((await harness.story('INT-003')).status).toBe('done');
    expect(
      (await harness.links('INT-003')).find((link) => link.type === 'deployment'),
    ).toMatchObject({ state: 'failed' });

    const operations = await harness.operations('INT-003');
    expect(operations.map((operation) => operation.trigger.kind)).toEqual([
      'push',
      'pr.opened',
      'pipeline.failed',
      'pipeline.succeeded',
      'pr.merged',
    ]);
  });

  it('a deployment finishes a story; a failed deployment rolls that back', async () => {
    await step('pr-opened', 1, {
      ...prBuild(sha('slack head')),
      CHANGE_ID: '8',
      CHANGE_BRANCH: 'int-004-slack-notifications',
      CHANGE_TARGET: 'develop',
    });
    expect((await harness.story('INT-004')).status).toBe('in_review');

    const send = (body: unknown) =>
      http(harness.server.url, 'POST', '/api/v1/ci/events', { token, json: body });
    const succeeded = await send(exampleJson('deployment-succeeded.json'));
    expect(succeeded.status).toBe(200);
    const deployOperation = succeeded.body.operations[0];
    expect(deployOperation).toMatchObject({
      trigger: { kind: 'deployment.succeeded', rule: 'default: deployed to production → done' },
      changes: [{ story: 'INT-004', field: 'status', before: 'in_review', after: 'done' }],
    });

    const failed = await send(exampleJson('deployment-failed.json'));
    expect(failed.status).toBe(200);
    expect(failed.body.operations[0]).toMatchObject({
      trigger: { kind: 'deployment.failed' },
      changes: [{ story: 'INT-004', field: 'status', before: 'done', after: 'in_review' }],
    });
    expect((await harness.story('INT-004')).status).toBe('in_review');
    expect((await harness.api('GET', `/operations/${deployOperation.id}`)).body).toMatchObject({
      status: 'rolled_back',
      rolledBackBy: failed.body.operations[0].id,
    });

    // Deployed again; a person accepts the story; then the deployment fails: the status a person
    // set since is left alone, and the success stays applied (a person may force its rollback).
    const again = await send(exampleJson('deployment-succeeded.json'));
    const second = again.body.operations[0];
    expect(second.changes[0]).toMatchObject({ before: 'in_review', after: 'done' });
    const accepted = await harness.api('POST', '/stories/INT-004/transitions', {
      json: { to: 'accepted' },
    });
    expect(accepted.status).toBe(200);
    expect((await send(exampleJson('deployment-failed.json'))).status).toBe(200);
    expect((await harness.story('INT-004')).status).toBe('accepted');
    expect((await harness.api('GET', `/operations/${second.id}`)).body.status).toBe('applied');
    const forced = await harness.api('POST', `/operations/${second.id}/rollback?force=true`);
    expect(forced.status).toBe(200);
    expect((await harness.story('INT-004')).status).toBe('in_review');
  });

  it("a refused step fails the build and shows storyflow's reason, not only curl's status", async () => {
    // pr-opened in a branch build: no CHANGE_ID, so the PR number is 0.
    const result = await runExampleScript('jenkins-curl.sh', ['pr-opened'], {
      STORYFLOW_URL: harness.server.url,
      STORYFLOW_TOKEN: token,
      JOB_NAME: 'shop',
      BUILD_NUMBER: '9',
      BUILD_URL: 'https://jenkins.example.com/job/shop/9/',
      ...branchBuild(sha('jenkins refused')),
    });
    expect(result.code).not.toBe(0);
    expect(result.json).toMatchObject({ status: 400, type: 'urn:storyflow:problem:validation' });
    expect(result.stdout).toContain('pr.number');
  });

  it('the token is held to its repository and its scopes', async () => {
    const other = await http(harness.server.url, 'POST', '/api/v1/ci/events', {
      token,
      json: { ...exampleJson('pipeline-failed.json'), repository: 'evil/corp' },
    });
    expect(other.status).toBe(403);
    const deployment = await http(harness.server.url, 'POST', '/api/v1/deployments', {
      token,
      json: { ...exampleJson('deployment.json'), repository: 'acme/other' },
    });
    expect(deployment.status).toBe(403);
    const rules = await http(harness.server.url, 'GET', '/api/v1/rules', { token });
    expect(rules.status).toBe(403);
    expect((await harness.api('GET', '/deliveries')).body.items).toEqual([]);
  });
});
