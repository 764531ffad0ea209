// End to end through Bitbucket Cloud and Data Center: captured deliveries (test/fixtures/bitbucket),
// edited to name the fixture stories, sent signed to /webhooks/bitbucket and processed by the
// inbox worker. Bitbucket sends no deployment webhook: production deployments come from the
// pipeline's deploy step through POST /api/v1/deployments (docs/webhooks.md).
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  type AutomationHarness,
  snapshot,
  startAutomationHarness,
} from '../support/automation-e2e.js';
import { sha } from '../support/automation-payloads.js';
import {
  BITBUCKET_CLOUD_REPOSITORY,
  BITBUCKET_DC_REPOSITORY,
  bitbucketCloudCommitStatus,
  bitbucketCloudPullRequest,
  bitbucketCloudPush,
  bitbucketDataCenterPullRequest,
  bitbucketDataCenterPush,
} from '../support/bitbucket-payloads.js';
import { describeEachStore } from '../support/store-factories.js';
import { postBitbucket, webhookTestConfig } from '../support/webhooks.js';

const INT_003_BRANCH = 'int-003-cicd-integration-endpoints';
const INT_004_BRANCH = 'int-004-slack-notifications';
const INT_003_LABELS = ['integration', 'cicd', 'automation', 'webhooks'];

describeEachStore('automation end to end through Bitbucket webhooks', (open) => {
  let harness: AutomationHarness;
  beforeEach(async () => {
    harness = await startAutomationHarness(await open());
  });
  afterEach(async () => {
    await harness.close();
  });

  it('Cloud: walks INT-003 from draft to done, through a failing build', async () => {
    const firstCommit = sha('bitbucket first commit');
    const push = bitbucketCloudPush(
      INT_003_BRANCH,
      [{ id: firstCommit, message: 'Sketch the CI endpoints' }],
      { created: true },
    );
    // Forged or unsigned: 401, nothing stored.
    const forged = await postBitbucket(harness.server.url, 'repo:push', push, { secret: 'guess' });
    expect(forged).toMatchObject({ status: 401, body: { reason: 'bad-signature' } });
    const unsigned = await postBitbucket(harness.server.url, 'repo:push', push, { signature: '' });
    expect(unsigned).toMatchObject({ status: 401, body: { reason: 'missing-signature' } });
    expect((await harness.api('GET', '/deliveries')).body.items).toEqual([]);

    const pushed = await harness.bitbucket('repo:push', push);
    expect(pushed.status).toBe('processed');
    expect(pushed.operations).toHaveLength(1);
    expect(pushed.operations[0]).toMatchObject({
      trigger: { kind: 'branch.created', rule: 'default: branch created or pushed → in_progress' },
      changes: [{ story: 'INT-003', field: 'status', before: 'draft', after: 'in_progress' }],
      repository: BITBUCKET_CLOUD_REPOSITORY,
    });
    const stored = await harness.api('GET', `/deliveries/${pushed.id}`);
    expect(stored.body).toMatchObject({ provider: 'bitbucket', event: 'repo:push' });

    const pr = { id: 11, source: INT_003_BRANCH, description: 'Closes INT-003' };
    const opened = await harness.bitbucket('pullrequest:created', bitbucketCloudPullRequest(pr));
    expect(opened.operations[0]).toMatchObject({
      trigger: { kind: 'pr.opened', rule: 'default: pull request opened or ready → in_review' },
      changes: [{ story: 'INT-003', field: 'status', before: 'in_progress', after: 'in_review' }],
    });

    const build = { commit: firstCommit, refname: INT_003_BRANCH };
    const failing = await harness.bitbucket(
      'repo:commit_status_updated',
      bitbucketCloudCommitStatus('FAILED', { ...build, build: 41, at: '2026-12-03T10:00:00Z' }),
    );
    expect(failing.operations[0]).toMatchObject({
      trigger: { kind: 'pipeline.failed', rule: 'default: pipeline failed → label ci-failing' },
      changes: [{ story: 'INT-003', field: 'labels' }],
    });
    expect((await harness.story('INT-003')).labels).toEqual([...INT_003_LABELS, 'ci-failing']);

    const passing = await harness.bitbucket(
      'repo:commit_status_updated',
      bitbucketCloudCommitStatus('SUCCESSFUL', { ...build, build: 42, at: '2026-12-03T10:05:00Z' }),
    );
    expect(passing.operations[0].trigger.rule).toBe(
      'default: pipeline succeeded → remove ci-failing',
    );
    expect((await harness.story('INT-003')).labels).toEqual(INT_003_LABELS);

    const merged = await harness.bitbucket(
      'pullrequest:fulfilled',
      bitbucketCloudPullRequest({ ...pr, state: 'MERGED', mergeHash: '1986c2284946' }),
    );
    expect(merged.operations[0]).toMatchObject({
      trigger: { kind: 'pr.merged', rule: 'default: merged into the default branch → done' },
      changes: [{ story: 'INT-003', field: 'status', before: 'in_review', after: 'done' }],
    });
    const links = await harness.links('INT-003');
    expect(links.find((link) => link.type === 'pr')).toMatchObject({
      key: '11',
      state: 'merged',
      sha: '1986c2284946',
      url: `https://bitbucket.org/${BITBUCKET_CLOUD_REPOSITORY}/pull-requests/11`,
    });
    expect(links.find((link) => link.type === 'pipeline')).toMatchObject({
      key: INT_003_BRANCH,
      state: 'succeeded',
      sha: firstCommit,
    });
  });

  it('Cloud: a story merged into develop is done once the deploy step reports production', async () => {
    const pr = { id: 12, source: INT_004_BRANCH, target: 'develop', description: 'Closes INT-004' };
    await harness.bitbucket('pullrequest:created', bitbucketCloudPullRequest(pr));
    const merged = await harness.bitbucket(
      'pullrequest:fulfilled',
      bitbucketCloudPullRequest({ ...pr, state: 'MERGED', mergeHash: 'a1b2c3d4e5f6' }),
    );
    expect(merged.operations).toEqual([]);
    expect((await harness.story('INT-004')).status).toBe('in_review');

    // What a Bitbucket Pipelines deployment step posts (no Bitbucket webhook reports deployments).
    const deployed = await harness.api('POST', '/deployments', {
      json: {
        repository: BITBUCKET_CLOUD_REPOSITORY,
        environment: 'production',
        status: 'success',
        sha: sha('INT-004 merge commit, full'),
        ref: 'develop',
        stories: ['INT-004'],
      },
    });
    expect(deployed.status).toBe(200);
    expect(deployed.body.operations[0]).toMatchObject({
      trigger: { kind: 'deployment.succeeded', rule: 'default: deployed to production → done' },
      changes: [{ story: 'INT-004', field: 'status', before: 'in_review', after: 'done' }],
    });
  });

  it('Data Center: push, pull request opened and merged move INT-004 to done', async () => {
    const commit = sha('bitbucket dc commit');
    const pushed = await harness.bitbucket(
      'repo:refs_changed',
      bitbucketDataCenterPush(INT_004_BRANCH, [{ id: commit, message: 'Connect Slack' }], {
        created: true,
      }),
      { flavour: 'data-center' },
    );
    expect(pushed.operations[0]).toMatchObject({
      trigger: { kind: 'branch.created' },
      changes: [{ story: 'INT-004', field: 'status', before: 'ready', after: 'in_progress' }],
      repository: BITBUCKET_DC_REPOSITORY,
    });

    const pr = { id: 7, source: INT_004_BRANCH, description: 'Closes INT-004' };
    const opened = await harness.bitbucket('pr:opened', bitbucketDataCenterPullRequest(pr), {
      flavour: 'data-center',
    });
    expect(opened.operations[0]).toMatchObject({
      trigger: { kind: 'pr.opened' },
      changes: [{ story: 'INT-004', field: 'status', before: 'in_progress', after: 'in_review' }],
    });

    const mergeCommit = sha('bitbucket dc merge');
    const merged = await harness.bitbucket(
      'pr:merged',
      bitbucketDataCenterPullRequest({ ...pr, mergeCommit }),
      { flavour: 'data-center' },
    );
    expect(merged.operations[0]).toMatchObject({
      trigger: { kind: 'pr.merged', rule: 'default: merged into the default branch → done' },
      changes: [{ story: 'INT-004', field: 'status', before: 'in_review', after: 'done' }],
    });
    expect((await harness.links('INT-004')).find((link) => link.type === 'pr')).toMatchObject({
      key: '7',
      state: 'merged',
      sha: mergeCommit,
      repository: BITBUCKET_DC_REPOSITORY,
    });
  });

  it('a redelivery (same X-Request-UUID or X-Request-Id) applies nothing twice', async () => {
    const cloudPush = bitbucketCloudPush(
      INT_003_BRANCH,
      [{ id: sha('bb redelivery'), message: 'Wire the endpoints\n\nINT-003 #comment Wired' }],
      { created: true },
    );
    const first = await harness.bitbucket('repo:push', cloudPush, { deliveryId: 'bb-uuid-1' });
    // branch.created, then the push whose commit comments.
    expect(first.operations.map((operation) => operation.comments)).toEqual([
      [],
      [{ story: 'INT-003', text: 'Wired', rule: 'smart command' }],
    ]);
    const dcPr = bitbucketDataCenterPullRequest({
      id: 8,
      source: INT_004_BRANCH,
      description: 'Closes INT-004',
    });
    const dcFirst = await harness.bitbucket('pr:opened', dcPr, {
      deliveryId: 'dc-request-1',
      flavour: 'data-center',
    });
    expect(dcFirst.operations[0].changes).toEqual([
      { story: 'INT-004', field: 'status', before: 'ready', after: 'in_review' },
    ]);
    const before = await snapshot(harness);
    const history = await harness.history('INT-003');

    // Bitbucket's "Resend request" keeps the request's UUID.
    const again = await harness.bitbucket('repo:push', cloudPush, { deliveryId: 'bb-uuid-1' });
    expect(again).toMatchObject({ id: first.id, duplicate: true, status: 'processed' });
    const dcAgain = await harness.bitbucket('pr:opened', dcPr, {
      deliveryId: 'dc-request-1',
      flavour: 'data-center',
    });
    expect(dcAgain).toMatchObject({ id: dcFirst.id, duplicate: true });

    // An operator's replay processes them again and changes nothing either.
    for (const delivery of [first.id, dcFirst.id]) {
      expect((await harness.api('POST', `/deliveries/${delivery}/replay`)).status).toBe(202);
    }
    expect(await harness.drain()).toBe(2);
    expect(await snapshot(harness)).toEqual(before);
    expect(await harness.history('INT-003')).toEqual(history);
  });
});

describeEachStore('Bitbucket webhooks without a configured secret', (open) => {
  it('every delivery is 401 not-configured, signed or not, and nothing is stored', async () => {
    const harness = await startAutomationHarness(await open(), {
      config: { webhooks: webhookTestConfig({ bitbucket: { secrets: [], repositories: [] } }) },
    });
    try {
      const push = bitbucketCloudPush(INT_003_BRANCH, [{ id: sha('unsigned'), message: 'x' }]);
      for (const options of [{}, { signature: '' }, { flavour: 'data-center' as const }]) {
        const answer = await postBitbucket(harness.server.url, 'repo:push', push, options);
        expect(answer).toMatchObject({ status: 401, body: { reason: 'not-configured' } });
      }
      expect((await harness.api('GET', '/deliveries')).body.items).toEqual([]);
      expect((await harness.story('INT-003')).status).toBe('draft');
    } finally {
      await harness.close();
    }
  });
});
