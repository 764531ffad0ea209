// The GitHub Actions examples, run the way a runner runs them: validated by GitHub's own
// workflow parser, then each job's steps executed in order against a live storyflow — `run:`
// steps with bash, `uses: acme/storyflow@v1` as the action itself (node action/index.cjs from a
// copy with no node_modules, INPUT_* and GITHUB_* set, a real webhook payload at
// GITHUB_EVENT_PATH) — and the stories checked afterwards.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalFromOidcClaims } from '../../src/domain/auth/oidc-policy.js';
import {
  EXAMPLES_DIR,
  MERGE_SHA,
  pullRequestMerged,
  pullRequestOpened,
  pushToMain,
  REPO_ROOT,
  REPOSITORY,
  STORY_BRANCH,
  scratchDir,
  stageAction,
} from '../support/ci-examples.js';
import { type CiHarness, oidcFromConfigFile, startCiHarness } from '../support/ci-harness.js';
import { GITHUB_ISSUER } from '../support/ci-identity.js';
import {
  actionErrors,
  type GithubRunOptions,
  type LoadedWorkflow,
  loadWorkflow,
  runGithubWorkflow,
  triggers,
} from '../support/github-runner.js';

const WORKFLOWS_DIR = join(EXAMPLES_DIR, 'github-actions');
const PR_WORKFLOW = join(EXAMPLES_DIR, 'github-actions/storyflow-pr.yml');
const DEPLOY_WORKFLOW = join(EXAMPLES_DIR, 'github-actions/storyflow-deploy.yml');
const OIDC_CONFIG = join(EXAMPLES_DIR, 'github-actions/storyflow.config.yaml');

describe('GitHub Actions examples are valid for GitHub', () => {
  const workflows = readdirSync(WORKFLOWS_DIR).filter((file) => /\.ya?ml$/.test(file));

  it.each(workflows.filter((file) => file !== 'storyflow.config.yaml'))(
    '%s parses with @actions/workflow-parser without errors',
    async (file) => {
      const workflow = await loadWorkflow(join(WORKFLOWS_DIR, file));
      expect(workflow.template.jobs.length).toBeGreaterThan(0);
      // Every storyflow step is the action, and names only inputs action.yml declares (the
      // emulation below fails on unknown inputs too).
      const uses = workflow.template.jobs.flatMap((job) =>
        job.type === 'job'
          ? job.steps.flatMap((step) => ('uses' in step ? [step.uses.value] : []))
          : [],
      );
      expect(uses.filter((value) => value.includes('storyflow'))).not.toHaveLength(0);
      for (const value of uses)
        expect(value).toMatch(/^(actions\/checkout@v4|acme\/storyflow@v1)$/);
    },
  );

  it("action.yml is valid for GitHub's action schema", async () => {
    expect(await actionErrors(join(REPO_ROOT, 'action.yml'))).toEqual([]);
  });

  it('the pull request workflow runs for pull requests only, the deploy workflow for main only', async () => {
    const pr = await loadWorkflow(PR_WORKFLOW);
    const deploy = await loadWorkflow(DEPLOY_WORKFLOW);
    const featurePush = { ...pushToMain(), ref: `refs/heads/${STORY_BRANCH}` };
    for (const [workflow, eventName, payload, expected] of [
      [pr, 'pull_request', pullRequestOpened(), true],
      [pr, 'pull_request', pullRequestMerged(), true],
      [pr, 'pull_request', { ...pullRequestOpened(), action: 'labeled' }, false],
      [pr, 'push', pushToMain(), false],
      [deploy, 'push', pushToMain(), true],
      [deploy, 'push', featurePush, false],
      [deploy, 'pull_request', pullRequestOpened(), false],
    ] as const) {
      expect(triggers(workflow.template, eventName, payload), `${workflow.file} ${eventName}`).toBe(
        expected,
      );
    }
  });
});

describe('the pull request workflow, emulated', () => {
  let harness: CiHarness;
  let workflow: LoadedWorkflow;
  let scratch: ReturnType<typeof scratchDir>;
  let actionPath: string;
  let ciToken: string;
  let runs = 0;

  beforeAll(async () => {
    harness = await startCiHarness();
    workflow = await loadWorkflow(PR_WORKFLOW);
    scratch = scratchDir('gh-pr');
    actionPath = stageAction(scratch.dir);
    ciToken = await harness.createToken('github-actions', ['ci:events'], [REPOSITORY]);
  });
  afterAll(async () => {
    await harness?.close();
    scratch?.remove();
  });

  const run = (
    eventName: string,
    payload: Record<string, any>,
    extra: Partial<GithubRunOptions> = {},
  ) => {
    runs += 1;
    return runGithubWorkflow({
      workflow,
      eventName,
      payload,
      actionPath,
      workDir: join(scratch.dir, `run-${runs}`),
      runId: String(9_000_000 + runs),
      vars: { STORYFLOW_URL: harness.server.url },
      secrets: { STORYFLOW_TOKEN: ciToken },
      ...extra,
    });
  };

  it('a fork without the secret: the step warns and the job goes on, nothing changes', async () => {
    const result = await run('pull_request', pullRequestOpened(), { secrets: {} });
    const job = result.job('build');
    expect(job.status).toBe('success');
    const report = job.steps.find((step) => step.id === 'storyflow');
    // No token and no id-token permission: the action falls back to OIDC, which the job
    // cannot get, so it warns (an annotation) and succeeds.
    expect(report?.code).toBe(0);
    expect(report?.stderr).toMatch(
      /^::warning::storyflow: cannot get a credential: .*id-token: write/m,
    );
    expect(job.idToken).toBe(false);
    expect((await harness.story('INT-003')).status).toBe('draft');
  });

  it('opened: INT-003 moves to in_review; outputs, job summary and the build result are reported', async () => {
    const result = await run('pull_request', pullRequestOpened());
    expect(result.triggered).toBe(true);
    const job = result.job('build');
    expect(job.steps.map((step) => [step.name, step.outcome])).toEqual([
      ['actions/checkout@v4', 'not-emulated'],
      ['Tell storyflow about the pull request', 'success'],
      ['Show what moved', 'success'],
      ['Build and test', 'success'],
      ['Report the build result', 'success'],
    ]);
    expect(job.status).toBe('success');
    expect((await harness.story('INT-003')).status).toBe('in_review');

    const [report, show, , result2] = job.steps.slice(1);
    expect(report?.inputs).toMatchObject({
      INPUT_URL: harness.server.url,
      INPUT_TOKEN: ciToken,
      INPUT_COMMAND: 'event',
      INPUT_ARGS: '',
      'INPUT_OIDC-AUDIENCE': 'storyflow',
      'INPUT_FAIL-ON-ERROR': 'false',
      'INPUT_DRY-RUN': 'false',
    });
    expect(report?.stdout).toBe('storyflow: INT-003 status: draft → in_review\n');
    expect(report?.outputs).toEqual({
      delivery: expect.stringMatching(/^dlv_/),
      operations: '1',
      stories: 'INT-003',
    });
    expect(report?.summary).toContain('### storyflow: ci event');
    expect(report?.summary).toContain(
      '| INT-003 | status | draft | in_review | default: pull request opened or ready → in_review |',
    );
    // A later step reads the outputs through ${{ steps.storyflow.outputs.stories }}.
    expect(show?.stdout).toBe('storyflow moved: INT-003\n');
    // `--status ${{ job.status }}`: the build passed.
    expect(result2?.inputs.INPUT_ARGS).toBe('--status success');
    expect(result2?.stdout).toContain('ci event reported; no story changed');
    expect(job.summary).toContain('### storyflow: ci event\n\n_No story changed._');

    const [pipeline] = await harness.linksOf('INT-003', 'pipeline');
    expect(pipeline).toMatchObject({
      key: STORY_BRANCH,
      state: 'succeeded',
      url: `https://github.com/${REPOSITORY}/actions/runs/${9_000_000 + runs}`,
    });
    const [pr] = await harness.linksOf('INT-003', 'pr');
    expect(pr).toMatchObject({
      key: '2',
      state: 'open',
      url: `https://github.com/${REPOSITORY}/pull/2`,
    });
  });

  it('a failing build: the last step still runs (always()) and reports failure → ci-failing', async () => {
    const payload = { ...pullRequestOpened(), action: 'synchronize' };
    const result = await run('pull_request', payload, { fail: /Your build and tests/ });
    const job = result.job('build');
    expect(job.status).toBe('failure');
    const last = job.steps.at(-1);
    expect(last?.name).toBe('Report the build result');
    expect(last?.inputs.INPUT_ARGS).toBe('--status failure');
    expect(last?.stdout).toContain('INT-003 labels:');
    expect((await harness.story('INT-003')).labels).toContain('ci-failing');
    const [pipeline] = await harness.linksOf('INT-003', 'pipeline');
    expect(pipeline.state).toBe('failed');
  });

  it('merged: INT-003 moves to done, linked to the merge commit; no build runs', async () => {
    const result = await run('pull_request', pullRequestMerged());
    const job = result.job('build');
    expect(job.steps.map((step) => step.outcome)).toEqual([
      'not-emulated',
      'success',
      'success',
      'skipped',
      'skipped',
    ]);
    expect(job.steps[1]?.stdout).toBe('storyflow: INT-003 status: in_review → done\n');
    expect((await harness.story('INT-003')).status).toBe('done');
    const [pr] = await harness.linksOf('INT-003', 'pr');
    // The commit that landed, as the webhook adapter records it, so a deployment finds it.
    expect(pr).toMatchObject({ state: 'merged', sha: MERGE_SHA });
  });
});

describe('the deploy workflow, emulated with OIDC (no stored secret)', () => {
  let harness: CiHarness;
  let scratch: ReturnType<typeof scratchDir>;
  let actionPath: string;
  let runs = 0;

  beforeAll(async () => {
    // The server trusts GitHub's issuer with the example config's policies.
    harness = await startCiHarness({ oidcConfigFile: OIDC_CONFIG });
    scratch = scratchDir('gh-deploy');
    actionPath = stageAction(scratch.dir);
    // The pull request was opened earlier (INT-003 in review).
    const token = await harness.createToken('pr', ['ci:events'], [REPOSITORY]);
    const pr = await runGithubWorkflow({
      workflow: await loadWorkflow(PR_WORKFLOW),
      eventName: 'pull_request',
      payload: pullRequestOpened(),
      actionPath,
      workDir: join(scratch.dir, 'pr'),
      vars: { STORYFLOW_URL: harness.server.url },
      secrets: { STORYFLOW_TOKEN: token },
    });
    expect(pr.job('build').status).toBe('success');
    expect((await harness.story('INT-003')).status).toBe('in_review');
  });
  afterAll(async () => {
    await harness?.close();
    scratch?.remove();
  });

  const deploy = async (extra: Partial<GithubRunOptions> = {}) => {
    runs += 1;
    return runGithubWorkflow({
      workflow: await loadWorkflow(DEPLOY_WORKFLOW),
      eventName: 'push',
      payload: pushToMain(),
      actionPath,
      workDir: join(scratch.dir, `deploy-${runs}`),
      runId: String(8_000_000 + runs),
      vars: { STORYFLOW_URL: harness.server.url },
      identity: harness.identity,
      ...extra,
    });
  };

  it('a push to main with "Closes INT-003" → done; the deployment is linked to INT-003', async () => {
    const result = await deploy();
    const job = result.job('deploy');
    expect(job.idToken).toBe(true);
    expect(job.steps.map((step) => [step.name, step.outcome])).toEqual([
      ['actions/checkout@v4', 'not-emulated'],
      ['Tell storyflow about the push', 'success'],
      ['Deploy', 'success'],
      ['Report the deployment', 'success'],
      ['Report the failed deployment', 'skipped'],
    ]);
    const [push, deployStep, report] = job.steps.slice(1);
    expect(push?.inputs.INPUT_TOKEN).toBe('');
    expect(push?.stdout).toBe('storyflow: INT-003 status: in_review → done\n');
    expect(deployStep?.stdout).toBe(`Your deployment of ${MERGE_SHA} to production runs here\n`);
    expect(report?.stderr).toBe('');
    expect((await harness.story('INT-003')).status).toBe('done');
    const [deployment] = await harness.linksOf('INT-003', 'deployment');
    expect(deployment).toMatchObject({
      key: 'production',
      environment: 'production',
      state: 'succeeded',
      sha: MERGE_SHA,
      url: 'https://shop.example.com',
    });
    // Each storyflow step asked the runner for an id token for audience "storyflow".
    expect(harness.identity.requests).toEqual([
      { audience: 'storyflow', status: 200 },
      { audience: 'storyflow', status: 200 },
    ]);
    expect(job.summary).toContain('### storyflow: ci deploy production success');
  });

  it('a failed deployment runs the failure() step and links the deployment as failed', async () => {
    const result = await deploy({ fail: /Your deployment/ });
    const job = result.job('deploy');
    expect(job.status).toBe('failure');
    expect(job.steps.map((step) => step.outcome)).toEqual([
      'not-emulated',
      'success',
      'failure',
      'skipped',
      'success',
    ]);
    const [deployment] = await harness.linksOf('INT-003', 'deployment');
    expect(deployment).toMatchObject({ key: 'production', state: 'failed' });
  });

  it('without `id-token: write` the same steps cannot authenticate and only warn', async () => {
    const workflow = await loadWorkflow(DEPLOY_WORKFLOW);
    const withoutPermission = {
      ...workflow,
      raw: { ...workflow.raw, permissions: { contents: 'read' } },
    };
    const result = await deploy({ workflow: withoutPermission });
    const job = result.job('deploy');
    expect(job.idToken).toBe(false);
    expect(job.status).toBe('success');
    for (const step of job.steps.filter((candidate) => candidate.uses === 'acme/storyflow@v1')) {
      if (step.outcome === 'skipped') continue;
      expect(step.stderr).toMatch(/::warning::storyflow: cannot get a credential/);
    }
  });

  it('a merged pull request runs on refs/heads/main, yet its id token gets no deployments:write', async () => {
    const expression = (inner: string) => `\${{ ${inner} }}`;
    // The pull request workflow as a user might switch it to OIDC, with one step too many: it
    // tries to report a production deployment.
    const text = readFileSync(PR_WORKFLOW, 'utf8')
      .replace(
        'permissions:\n  contents: read\n',
        'permissions:\n  contents: read\n  id-token: write\n',
      )
      .replaceAll(`token: ${expression('secrets.STORYFLOW_TOKEN')}`, 'oidc-audience: storyflow')
      .concat(
        [
          '',
          '      - name: Try to report a deployment',
          '        uses: acme/storyflow@v1',
          '        with:',
          `          url: ${expression('vars.STORYFLOW_URL')}`,
          '          oidc-audience: storyflow',
          '          command: deploy',
          '          args: --environment production --status success',
          '',
          '      - name: Show the ref',
          '        if: always()',
          '        run: echo "$GITHUB_REF $GITHUB_REF_NAME"',
          '',
        ].join('\n'),
      );
    expect(text).toContain('id-token: write');
    const dir = join(scratch.dir, 'oidc-pr');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'storyflow-pr.yml');
    writeFileSync(file, text);
    const deploymentBefore = await harness.linksOf('INT-003', 'deployment');
    const issuedBefore = harness.identity.issued.length;

    const result = await deploy({
      workflow: await loadWorkflow(file),
      eventName: 'pull_request',
      payload: pullRequestMerged(),
    });
    const job = result.job('build');
    expect(job.idToken).toBe(true);
    const step = (name: string) => job.steps.find((candidate) => candidate.name === name);
    // As GitHub documents it: the run of a PR closed by merging is on the base branch.
    expect(step('Show the ref')?.stdout).toBe('refs/heads/main main\n');
    const claims = harness.identity.issued.slice(issuedBefore);
    expect(claims.length).toBeGreaterThan(0);
    for (const claim of claims) {
      expect(claim).toMatchObject({
        ref: 'refs/heads/main',
        event_name: 'pull_request',
        job_workflow_ref: `${REPOSITORY}/.github/workflows/storyflow-pr.yml@refs/heads/main`,
      });
    }
    // A policy on the ref alone would hand this run deployments:write...
    const unpinned = principalFromOidcClaims(GITHUB_ISSUER, claims[0]!, [
      {
        name: 'deploys from main, by ref only',
        issuer: GITHUB_ISSUER,
        claims: { repository: REPOSITORY, ref: 'refs/heads/main' },
        scopes: ['deployments:write'],
      },
    ]);
    expect(unpinned?.scopes).toEqual(['deployments:write']);
    // ...the example's, pinned to the deploy workflow's pushes, does not.
    const example = principalFromOidcClaims(
      GITHUB_ISSUER,
      claims[0]!,
      oidcFromConfigFile(OIDC_CONFIG).policies,
    );
    expect(example?.scopes).toEqual(['ci:events']);
    const refused = step('Try to report a deployment');
    expect(refused?.outcome).toBe('failure');
    expect(refused?.stderr).toContain('deployments:write');
    expect(await harness.linksOf('INT-003', 'deployment')).toEqual(deploymentBefore);
  });
});
