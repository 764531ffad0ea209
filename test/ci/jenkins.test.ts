// examples/jenkins/Jenkinsfile, run the way Jenkins runs a multibranch build: parsed (a small
// parser for declarative pipelines), `environment` with the storyflow-token credential, each
// stage's `sh` steps with /bin/sh -xe and Jenkins' variables (BRANCH_NAME, CHANGE_*, GIT_COMMIT,
// GIT_URL, BUILD_URL, …), `when` and `post` — against a live storyflow. Pushes and merges reach
// storyflow through the GitHub webhook, as docs/ci/jenkins.md recommends.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXAMPLES_DIR,
  MERGE_SHA,
  pushToMain,
  REPOSITORY,
  STORY_BRANCH,
  scratchDir,
  stageAction,
} from '../support/ci-examples.js';
import { type CiHarness, startCiHarness } from '../support/ci-harness.js';
import {
  type JenkinsRunOptions,
  jenkinsVariables,
  parseJenkinsfile,
  runJenkinsfile,
} from '../support/jenkins-runner.js';

const JENKINSFILE = join(EXAMPLES_DIR, 'jenkins/Jenkinsfile');
const HEAD_SHA = '2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b';

let buildNumber = 40;
const pullRequestBuild = () =>
  jenkinsVariables({
    repository: REPOSITORY,
    branch: STORY_BRANCH,
    commit: HEAD_SHA,
    number: ++buildNumber,
    changeRequest: { id: 2, title: 'INT-003: CI/CD integration endpoints', target: 'main' },
  });
const mainBuild = () =>
  jenkinsVariables({
    repository: REPOSITORY,
    branch: 'main',
    commit: MERGE_SHA,
    number: ++buildNumber,
  });

describe('the Jenkinsfile example', () => {
  let harness: CiHarness;
  let scratch: ReturnType<typeof scratchDir>;
  let edit: Record<string, string>;
  let credentials: Record<string, string>;

  beforeAll(async () => {
    harness = await startCiHarness();
    scratch = scratchDir('jenkins');
    // The two lines a user edits: their server, and where the agent gets the client from.
    edit = {
      STORYFLOW_URL: harness.server.url,
      STORYFLOW_CLIENT_URL: `file://${stageAction(scratch.dir)}/action/index.cjs`,
    };
    credentials = {
      'storyflow-token': await harness.createToken(
        'jenkins',
        ['ci:events', 'deployments:write'],
        [REPOSITORY],
      ),
    };
  });
  afterAll(async () => {
    await harness?.close();
    scratch?.remove();
  });

  const build = (variables: Record<string, string>, extra: Partial<JenkinsRunOptions> = {}) =>
    runJenkinsfile({
      file: JENKINSFILE,
      variables,
      credentials,
      edit,
      workDir: join(scratch.dir, `build-${variables.BUILD_NUMBER}`),
      ...extra,
    });

  it('parses as one declarative pipeline', () => {
    const statements = parseJenkinsfile(readFileSync(JENKINSFILE, 'utf8'));
    expect(statements.map((statement) => statement.name)).toEqual(['pipeline']);
  });

  it('a pull request build moves INT-003 to in_review and reports the passing build', async () => {
    const result = await build(pullRequestBuild());
    expect(result.result).toBe('SUCCESS');
    expect(result.stages).toEqual([
      { name: 'storyflow', status: 'success' },
      { name: 'Build', status: 'success' },
      { name: 'Deploy', status: 'skipped' },
    ]);
    expect(result.stdoutOf('stage storyflow')).toBe(
      'storyflow: INT-003 status: draft → in_review\n',
    );
    expect(result.stdoutOf('post success')).toBe(
      'storyflow: ci event reported; no story changed\n',
    );
    expect((await harness.story('INT-003')).status).toBe('in_review');
    const [pipeline] = await harness.linksOf('INT-003', 'pipeline');
    expect(pipeline).toMatchObject({
      state: 'succeeded',
      url: `https://jenkins.example.com/job/your-repo/job/PR-2/${buildNumber}/`,
      sha: HEAD_SHA,
    });
  });

  it('a failing build runs post { failure }: INT-003 is labelled ci-failing', async () => {
    const result = await build(pullRequestBuild(), { fail: /Your build and tests/ });
    expect(result.result).toBe('FAILURE');
    expect(result.stages.map((stage) => stage.status)).toEqual(['success', 'failure', 'skipped']);
    expect(result.stdoutOf('post failure')).toContain('INT-003 labels:');
    expect((await harness.story('INT-003')).labels).toContain('ci-failing');
  });

  it('main, after the merge came in by webhook: the deployment is linked to INT-003', async () => {
    // GitHub's push webhook for the merge: INT-003 done, the merge commit linked to it.
    const delivery = await harness.github('push', pushToMain());
    expect(delivery.status).toBe('processed');
    expect((await harness.story('INT-003')).status).toBe('done');

    const result = await build(mainBuild());
    expect(result.stages.map((stage) => stage.status)).toEqual(['success', 'success', 'success']);
    expect(result.stdoutOf('stage Deploy post success')).toBe(
      'storyflow: ci deploy production success reported; no story changed\n',
    );
    expect(result.stdoutOf('post success')).toContain('INT-003 labels:'); // ci-failing removed
    const [deployment] = await harness.linksOf('INT-003', 'deployment');
    expect(deployment).toMatchObject({ key: 'production', state: 'succeeded', sha: MERGE_SHA });
    expect((await harness.story('INT-003')).labels).not.toContain('ci-failing');
  });

  it('a failed deployment runs the stage post { failure } and links it as failed', async () => {
    const result = await build(mainBuild(), { fail: /Your deployment/ });
    expect(result.result).toBe('FAILURE');
    expect(result.sh.map((run) => run.where)).toEqual([
      'stage storyflow',
      'stage storyflow',
      'stage Build',
      'stage Deploy',
      'stage Deploy post failure',
      'post failure',
    ]);
    const [deployment] = await harness.linksOf('INT-003', 'deployment');
    expect(deployment).toMatchObject({ key: 'production', state: 'failed' });
  });

  it('the token comes from the credential, never from the file', async () => {
    const wrong = await build(pullRequestBuild(), {
      credentials: { 'storyflow-token': 'sfp_not-a-real-token' },
    });
    // A refused token is the job's problem to see: the step fails (exit 1), not a warning.
    expect(wrong.result).toBe('FAILURE');
    expect(wrong.sh[1]?.stderr).toContain('storyflow: the server answered 401');
  });
});
