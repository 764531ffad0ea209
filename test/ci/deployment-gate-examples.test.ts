// The deployment gate examples (docs/ci/*.md, "Deployment gate"), run by the emulated GitHub
// Actions, GitLab CI and Jenkins runners against a live storyflow whose production gate requires
// `accepted`: a commit shipping a story that is not accepted stops before its deploy step, the
// same commit once the story is accepted deploys, and the deployment is reported. The client is
// action/index.cjs built from today's sources (stageFreshAction).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXAMPLES_DIR,
  MERGE_SHA,
  pushToMain,
  REPOSITORY,
  scratchDir,
  stageFreshAction,
} from '../support/ci-examples.js';
import { type CiHarness, startCiHarness } from '../support/ci-harness.js';
import { loadWorkflow, runGithubWorkflow } from '../support/github-runner.js';
import { gitlabVariables, runGitlabPipeline } from '../support/gitlab-runner.js';
import { jenkinsVariables, runJenkinsfile } from '../support/jenkins-runner.js';

const GATES = { gates: [{ environment: 'production', require: ['accepted'] }] };
const DENIED = 'INF-015 is in_review; production requires accepted';

/** A harness whose INF-015 (in_review) is linked at `sha` of `repository`; and its acceptance. */
async function gatedHarness(repository: string, sha: string) {
  const harness = await startCiHarness({ config: GATES });
  const linked = await harness.api('POST', '/stories/INF-015/links', {
    json: { links: [{ type: 'commit', repository, key: sha, sha }] },
  });
  expect(linked.status, linked.text).toBe(200);
  const accept = async () => {
    for (const to of ['done', 'accepted']) {
      const moved = await harness.api('POST', '/stories/INF-015/transitions', { json: { to } });
      expect(moved.status, moved.text).toBe(200);
    }
  };
  return { harness, accept };
}

describe('the GitHub Actions gate example (storyflow-gate.yml)', () => {
  let harness: CiHarness;
  let accept: () => Promise<void>;
  let scratch: ReturnType<typeof scratchDir>;
  let actionPath: string;
  let token: string;
  let runs = 0;
  const run = async () => {
    runs += 1;
    return runGithubWorkflow({
      workflow: await loadWorkflow(join(EXAMPLES_DIR, 'github-actions/storyflow-gate.yml')),
      eventName: 'push',
      payload: pushToMain(),
      actionPath,
      workDir: join(scratch.dir, `run-${runs}`),
      runId: String(7_000_000 + runs),
      vars: { STORYFLOW_URL: harness.server.url },
      secrets: { STORYFLOW_TOKEN: token },
    });
  };
  beforeAll(async () => {
    ({ harness, accept } = await gatedHarness(REPOSITORY, pushToMain().after));
    scratch = scratchDir('gh-gate');
    actionPath = stageFreshAction(scratch.dir);
    token = await harness.createToken(
      'deploy',
      ['stories:read', 'deployments:write'],
      [REPOSITORY],
    );
  });
  afterAll(async () => {
    await harness?.close();
    scratch?.remove();
  });

  it('denied: the gate step fails with the reason and the deploy step does not run', async () => {
    const job = (await run()).job('deploy');
    expect(job.status).toBe('failure');
    expect(job.steps.map((step) => [step.name, step.outcome])).toEqual([
      ['actions/checkout@v4', 'not-emulated'],
      ["Ask storyflow's production gate", 'failure'],
      ['Deploy', 'skipped'],
      ['Report the deployment', 'skipped'],
    ]);
    const gate = job.steps[1];
    expect(gate?.inputs).toMatchObject({
      INPUT_COMMAND: 'gate',
      INPUT_ARGS: '--environment production',
    });
    expect(gate?.stdout).toContain(`- ${DENIED}`);
    expect(await harness.linksOf('INF-015', 'deployment')).toEqual([]);
  });

  it('allowed once INF-015 is accepted: the deployment runs and is reported', async () => {
    await accept();
    const job = (await run()).job('deploy');
    expect(job.status).toBe('success');
    expect(job.steps[1]?.stdout).toMatch(/^storyflow gate production: ALLOW \(1 story\)/);
    const [deployment] = await harness.linksOf('INF-015', 'deployment');
    expect(deployment).toMatchObject({ key: 'production', state: 'succeeded' });
  });
});

describe('the GitLab CI gate example (deploy-gate.gitlab-ci.yml)', () => {
  const project = 'your-group/your-project';
  let harness: CiHarness;
  let accept: () => Promise<void>;
  let scratch: ReturnType<typeof scratchDir>;
  let projectVariables: Record<string, string>;
  let pipelineId = 8000;
  const run = () => {
    pipelineId += 1;
    return runGitlabPipeline({
      file: join(EXAMPLES_DIR, 'gitlab-ci/deploy-gate.gitlab-ci.yml'),
      identity: harness.identity,
      workDir: join(scratch.dir, `pipeline-${pipelineId}`),
      projectVariables,
      predefined: gitlabVariables({
        source: 'push',
        project,
        branch: 'main',
        sha: MERGE_SHA,
        message: 'Merge the release',
        pipelineId,
      }),
    });
  };
  beforeAll(async () => {
    ({ harness, accept } = await gatedHarness(project, MERGE_SHA));
    scratch = scratchDir('gitlab-gate');
    projectVariables = {
      STORYFLOW_URL: harness.server.url,
      STORYFLOW_CLIENT_URL: `file://${stageFreshAction(scratch.dir)}/action/index.cjs`,
      STORYFLOW_TOKEN: await harness.createToken(
        'gitlab',
        ['stories:read', 'deployments:write'],
        [project],
      ),
      STORYFLOW_OIDC_AUDIENCE: '',
    };
  });
  afterAll(async () => {
    await harness?.close();
    scratch?.remove();
  });

  it('denied: the gate job fails with the reason and the deploy job does not run', async () => {
    const pipeline = await run();
    expect(pipeline.jobs.map((job) => [job.name, job.status])).toEqual([
      ['gate', 'failed'],
      ['deploy', 'skipped'],
    ]);
    expect(pipeline.job('gate').output).toContain(`- ${DENIED}`);
  });

  it('allowed once INF-015 is accepted: the deploy job runs and reports the deployment', async () => {
    await accept();
    const pipeline = await run();
    expect(pipeline.jobs.map((job) => [job.name, job.status])).toEqual([
      ['gate', 'success'],
      ['deploy', 'success'],
    ]);
    const [deployment] = await harness.linksOf('INF-015', 'deployment');
    expect(deployment).toMatchObject({ key: 'production', state: 'succeeded', sha: MERGE_SHA });
  });
});

describe('the Jenkins gate example (deploy-gate/Jenkinsfile)', () => {
  let harness: CiHarness;
  let accept: () => Promise<void>;
  let scratch: ReturnType<typeof scratchDir>;
  let edit: Record<string, string>;
  let credentials: Record<string, string>;
  let buildNumber = 70;
  const build = () => {
    buildNumber += 1;
    return runJenkinsfile({
      file: join(EXAMPLES_DIR, 'jenkins/deploy-gate/Jenkinsfile'),
      variables: jenkinsVariables({
        repository: REPOSITORY,
        branch: 'main',
        commit: MERGE_SHA,
        number: buildNumber,
      }),
      credentials,
      edit,
      workDir: join(scratch.dir, `build-${buildNumber}`),
    });
  };
  beforeAll(async () => {
    ({ harness, accept } = await gatedHarness(REPOSITORY, MERGE_SHA));
    scratch = scratchDir('jenkins-gate');
    edit = {
      STORYFLOW_URL: harness.server.url,
      STORYFLOW_CLIENT_URL: `file://${stageFreshAction(scratch.dir)}/action/index.cjs`,
    };
    credentials = {
      'storyflow-token': await harness.createToken(
        'jenkins-deploy',
        ['stories:read', 'deployments:write'],
        [REPOSITORY],
      ),
    };
  });
  afterAll(async () => {
    await harness?.close();
    scratch?.remove();
  });

  it('denied: the Gate stage fails with the reason and Deploy does not run', async () => {
    const result = await build();
    expect(result.result).toBe('FAILURE');
    expect(result.stages).toEqual([
      { name: 'Gate', status: 'failure' },
      { name: 'Deploy', status: 'skipped' },
    ]);
    expect(result.stdoutOf('stage Gate')).toContain(`- ${DENIED}`);
  });

  it('allowed once INF-015 is accepted: Deploy runs and reports the deployment', async () => {
    await accept();
    const result = await build();
    expect(result.result).toBe('SUCCESS');
    const [deployment] = await harness.linksOf('INF-015', 'deployment');
    expect(deployment).toMatchObject({ key: 'production', state: 'succeeded', sha: MERGE_SHA });
  });
});
