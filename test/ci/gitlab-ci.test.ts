// examples/gitlab-ci/.gitlab-ci.yml, run the way GitLab runs it: workflow rules, stages, each
// job's before_script + script in one bash with GitLab's predefined CI_* variables, its
// id_tokens signed like GitLab's, against a live storyflow that trusts GitLab's issuer with the
// policies of examples/gitlab-ci/storyflow.config.yaml. The client is downloaded by the job's
// own `curl` line from STORYFLOW_CLIENT_URL (a project variable pointing at the committed
// bundle), as it would be from the tag.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalFromOidcClaims } from '../../src/domain/auth/oidc-policy.js';
import {
  EXAMPLES_DIR,
  MERGE_SHA,
  STORY_BRANCH,
  scratchDir,
  stageAction,
} from '../support/ci-examples.js';
import { type CiHarness, oidcFromConfigFile, startCiHarness } from '../support/ci-harness.js';
import { GITLAB_ISSUER } from '../support/ci-identity.js';
import {
  type GitlabRunOptions,
  gitlabIdTokenClaims,
  gitlabVariables,
  runGitlabPipeline,
} from '../support/gitlab-runner.js';

const PIPELINE = join(EXAMPLES_DIR, 'gitlab-ci/.gitlab-ci.yml');
const OIDC_CONFIG = join(EXAMPLES_DIR, 'gitlab-ci/storyflow.config.yaml');
const PROJECT = 'your-group/your-project';
const HEAD_SHA = '1f0e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c';

let pipelineId = 5000;
const mergeRequestPipeline = (branch = STORY_BRANCH, story = 'INT-003', draft = false) => {
  pipelineId += 1;
  return gitlabVariables({
    source: 'merge_request_event',
    project: PROJECT,
    branch,
    sha: HEAD_SHA,
    message: `Add the CI endpoints for ${story}`,
    pipelineId,
    mergeRequest: {
      iid: 7,
      title: `${story}: the change`,
      description: `Closes ${story}`,
      target: 'main',
      draft,
    },
  });
};
const mainPipeline = () => {
  pipelineId += 1;
  return gitlabVariables({
    source: 'push',
    project: PROJECT,
    branch: 'main',
    sha: MERGE_SHA,
    message: `Merge branch '${STORY_BRANCH}' into 'main'\n\nCloses INT-003\n\nSee merge request ${PROJECT}!7`,
    pipelineId,
  });
};

function setup(oidc: boolean) {
  const context = {} as {
    harness: CiHarness;
    scratch: ReturnType<typeof scratchDir>;
    run(
      options: Partial<GitlabRunOptions> & Pick<GitlabRunOptions, 'predefined'>,
    ): ReturnType<typeof runGitlabPipeline>;
  };
  beforeAll(async () => {
    context.harness = await startCiHarness(oidc ? { oidcConfigFile: OIDC_CONFIG } : {});
    context.scratch = scratchDir('gitlab');
    const actionPath = stageAction(context.scratch.dir);
    const projectVariables: Record<string, string> = {
      STORYFLOW_URL: context.harness.server.url,
      STORYFLOW_CLIENT_URL: `file://${actionPath}/action/index.cjs`,
    };
    if (!oidc) {
      // The documented token variant: a masked STORYFLOW_TOKEN, STORYFLOW_OIDC_AUDIENCE empty.
      projectVariables.STORYFLOW_TOKEN = await context.harness.createToken(
        'gitlab',
        ['ci:events', 'deployments:write'],
        [PROJECT],
      );
      projectVariables.STORYFLOW_OIDC_AUDIENCE = '';
    }
    let runs = 0;
    context.run = (options) => {
      runs += 1;
      return runGitlabPipeline({
        file: PIPELINE,
        identity: context.harness.identity,
        workDir: join(context.scratch.dir, `pipeline-${runs}`),
        projectVariables,
        ...options,
      });
    };
  });
  afterAll(async () => {
    await context.harness?.close();
    context.scratch?.remove();
  });
  return context;
}

describe('the GitLab CI example, with OIDC id tokens', () => {
  const context = setup(true);

  it('a merge request pipeline moves INT-003 to in_review and reports the result', async () => {
    const pipeline = await context.run({ predefined: mergeRequestPipeline() });
    expect(pipeline.created).toBe(true);
    expect(pipeline.jobs.map((job) => [job.name, job.status])).toEqual([
      ['storyflow', 'success'],
      ['build', 'success'],
      ['pipeline passed', 'success'],
      ['pipeline failed', 'skipped'],
    ]);
    expect(pipeline.job('storyflow').output).toBe('storyflow: INT-003 status: draft → in_review\n');
    expect((await context.harness.story('INT-003')).status).toBe('in_review');
    const [pipelineLink] = await context.harness.linksOf('INT-003', 'pipeline');
    expect(pipelineLink).toMatchObject({
      state: 'succeeded',
      url: `https://gitlab.com/${PROJECT}/-/pipelines/${pipelineId}`,
    });
    const [mr] = await context.harness.linksOf('INT-003', 'pr');
    expect(mr).toMatchObject({ key: '7', url: `https://gitlab.com/${PROJECT}/-/merge_requests/7` });
  });

  it('a branch pipeline while a merge request is open is not created (workflow:rules)', async () => {
    pipelineId += 1;
    const predefined = gitlabVariables({
      source: 'push',
      project: PROJECT,
      branch: STORY_BRANCH,
      sha: HEAD_SHA,
      message: 'wip',
      pipelineId,
      openMergeRequests: true,
    });
    expect((await context.run({ predefined })).created).toBe(false);
  });

  it('a failing build runs "pipeline failed": INT-003 is labelled ci-failing', async () => {
    const pipeline = await context.run({
      predefined: mergeRequestPipeline(),
      fail: /Your build and tests/,
    });
    expect(pipeline.status).toBe('failed');
    expect(pipeline.jobs.map((job) => [job.name, job.status])).toEqual([
      ['storyflow', 'success'],
      ['build', 'failed'],
      ['pipeline passed', 'skipped'],
      ['pipeline failed', 'success'],
    ]);
    expect(pipeline.job('pipeline failed').output).toContain('INT-003 labels:');
    expect((await context.harness.story('INT-003')).labels).toContain('ci-failing');
  });

  it('main: the merge commit closes INT-003 and the production deployment is linked to it', async () => {
    const pipeline = await context.run({ predefined: mainPipeline() });
    expect(pipeline.jobs.map((job) => [job.name, job.status])).toEqual([
      ['storyflow', 'success'],
      ['build', 'success'],
      ['deploy', 'success'],
      ['pipeline passed', 'success'],
      ['pipeline failed', 'skipped'],
    ]);
    expect(pipeline.job('storyflow').output).toBe('storyflow: INT-003 status: in_review → done\n');
    expect(pipeline.job('deploy').output).toContain(
      `Your deployment of ${MERGE_SHA.slice(0, 8)} to production runs here`,
    );
    expect(pipeline.job('deploy').afterScriptOutput).toBe('');
    expect((await context.harness.story('INT-003')).status).toBe('done');
    // The build passed: the label the failing pipeline added is gone.
    expect((await context.harness.story('INT-003')).labels).not.toContain('ci-failing');
    const [deployment] = await context.harness.linksOf('INT-003', 'deployment');
    expect(deployment).toMatchObject({
      key: 'production',
      state: 'succeeded',
      sha: MERGE_SHA,
      url: 'https://shop.example.com',
    });
  });

  it('a failed deployment is reported by after_script with CI_JOB_STATUS=failed', async () => {
    const pipeline = await context.run({ predefined: mainPipeline(), fail: /Your deployment/ });
    expect(pipeline.job('deploy').status).toBe('failed');
    expect(pipeline.job('deploy').afterScriptOutput).toContain('reported; no story changed');
    expect(pipeline.job('pipeline failed').status).toBe('success');
    const [deployment] = await context.harness.linksOf('INT-003', 'deployment');
    expect(deployment).toMatchObject({ key: 'production', state: 'failed' });
  });

  it('a draft merge request pipeline reports the MR as a draft: INT-004 stays ready', async () => {
    const predefined = mergeRequestPipeline('int-004-slack-notifications', 'INT-004', true);
    expect(predefined.CI_MERGE_REQUEST_DRAFT).toBe('true');
    // Set by GitLab only in merged results pipelines, not in this (detached) one.
    expect(predefined.CI_MERGE_REQUEST_SOURCE_BRANCH_SHA).toBeUndefined();
    const pipeline = await context.run({ predefined });
    expect(pipeline.job('storyflow').status).toBe('success');
    expect((await context.harness.story('INT-004')).status).toBe('ready');
    const [mr] = await context.harness.linksOf('INT-004', 'pr');
    expect(mr).toMatchObject({ key: '7', state: 'draft' });
    // Marked ready: the next pipeline moves it.
    await context.run({
      predefined: mergeRequestPipeline('int-004-slack-notifications', 'INT-004'),
    });
    expect((await context.harness.story('INT-004')).status).toBe('in_review');
  });

  it('a tag pipeline is not created by the workflow rules; a tag named main never deploys', async () => {
    pipelineId += 1;
    const predefined = gitlabVariables({
      source: 'push',
      project: PROJECT,
      branch: 'main',
      tag: 'main',
      sha: MERGE_SHA,
      message: 'a tag that looks like the branch',
      pipelineId,
    });
    expect(predefined).toMatchObject({ CI_COMMIT_TAG: 'main', CI_COMMIT_REF_NAME: 'main' });
    expect(predefined.CI_COMMIT_BRANCH).toBeUndefined();
    expect((await context.run({ predefined })).created).toBe(false);
    // Another pipeline file on that tag could still ask for an id token: with protected tags
    // it says ref main, protected. The example's deploy policy also pins ref_type: branch.
    const claims = gitlabIdTokenClaims(predefined, 'storyflow', { protectedTags: ['main'] });
    expect(claims).toMatchObject({ ref: 'main', ref_type: 'tag', ref_protected: 'true' });
    const policies = oidcFromConfigFile(OIDC_CONFIG).policies;
    expect(principalFromOidcClaims(GITLAB_ISSUER, claims, policies)?.scopes).toEqual(['ci:events']);
    const unpinned = policies.map((policy) => {
      const { ref_type: _refType, ...claims } = policy.claims;
      return { ...policy, claims };
    });
    expect(principalFromOidcClaims(GITLAB_ISSUER, claims, unpinned)?.scopes).toContain(
      'deployments:write',
    );
  });
});

describe('the GitLab CI example, with a STORYFLOW_TOKEN variable instead', () => {
  const context = setup(false);

  it('a merge request pipeline moves UI-007 to in_review without an id token', async () => {
    const pipeline = await context.run({
      predefined: mergeRequestPipeline('ui-007-board-view', 'UI-007'),
      identity: { sign: () => Promise.resolve('not-a-jwt') } as never,
    });
    expect(pipeline.job('storyflow').output).toBe('storyflow: UI-007 status: draft → in_review\n');
    expect(pipeline.job('pipeline passed').status).toBe('success');
    expect((await context.harness.story('UI-007')).status).toBe('in_review');
  });
});
