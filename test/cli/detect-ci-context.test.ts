// detectCiContext reads what a job is about from the runner's environment. Pure: each case is
// the variables GitHub, GitLab or Jenkins documents for that kind of run.
import { describe, expect, it } from 'vitest';
import { detectCiContext, repositoryFromGitUrl } from '../../src/cli/ci/detect-ci-context.js';

const HEAD = '1f0e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c';
const MERGE = '9a8b7c6d5e4f30211203f4e5d6c7b8a9a0b1c2d3';
const TEST_MERGE = 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';

const github = (env: Record<string, string>) => ({
  GITHUB_ACTIONS: 'true',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_REPOSITORY_ID: '456789',
  GITHUB_RUN_ID: '4242',
  GITHUB_JOB: 'build',
  GITHUB_WORKFLOW: 'storyflow',
  GITHUB_ACTOR: 'octocat',
  ...env,
});

const pullRequest = (overrides: Record<string, unknown> = {}) => ({
  number: 12,
  title: 'INT-003: CI endpoints',
  body: 'Closes INT-003',
  html_url: 'https://github.com/acme/shop/pull/12',
  draft: false,
  merged: false,
  merge_commit_sha: TEST_MERGE,
  head: { ref: 'int-003-ci', sha: HEAD },
  base: { ref: 'main' },
  ...overrides,
});

describe('detectCiContext on GitHub Actions', () => {
  it('a push: the branch from GITHUB_REF, its commits, the run as the pipeline', () => {
    const context = detectCiContext(
      github({ GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: MERGE }),
      {
        repository: { default_branch: 'main' },
        commits: [
          { id: MERGE, message: 'Closes INT-003', author: { name: 'Alice' } },
          { id: 'abc', message: 'no author' },
          null,
          { message: 'no id: skipped' },
        ],
      },
    );
    expect(context).toEqual({
      provider: 'github-actions',
      repository: 'acme/shop',
      repositoryId: '456789',
      sha: MERGE,
      actor: 'octocat',
      trigger: 'push',
      runKey: 'github:acme/shop:4242:build',
      branch: 'main',
      defaultBranch: 'main',
      pipeline: {
        id: '4242',
        name: 'storyflow',
        url: 'https://github.com/acme/shop/actions/runs/4242',
      },
      commits: [
        { sha: MERGE, message: 'Closes INT-003', author: 'Alice' },
        { sha: 'abc', message: 'no author', author: '' },
      ],
    });
  });

  it('a tag push: a tag and no branch', () => {
    const context = detectCiContext(
      github({ GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v1.2.0', GITHUB_SHA: HEAD }),
      {},
    );
    expect(context.tag).toBe('v1.2.0');
    expect(context.branch).toBeUndefined();
  });

  it("an open pull request: the head branch and head commit, not GitHub's test merge", () => {
    const context = detectCiContext(
      github({
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_REF: 'refs/pull/12/merge',
        GITHUB_HEAD_REF: 'int-003-ci',
        GITHUB_BASE_REF: 'main',
        GITHUB_SHA: TEST_MERGE,
      }),
      { action: 'opened', pull_request: pullRequest({ draft: true }) },
    );
    expect(context).toMatchObject({ branch: 'int-003-ci', sha: HEAD, trigger: 'pull_request' });
    expect(context.pr).toEqual({
      number: 12,
      title: 'INT-003: CI endpoints',
      body: 'Closes INT-003',
      source: 'int-003-ci',
      target: 'main',
      url: 'https://github.com/acme/shop/pull/12',
      draft: true,
      action: 'opened',
      merged: false,
    });
  });

  it('a pull request closed by merging runs on refs/heads/main: still the head branch, and the merge commit', () => {
    const context = detectCiContext(
      github({
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_REF_NAME: 'main',
        GITHUB_HEAD_REF: 'int-003-ci',
        GITHUB_BASE_REF: 'main',
        GITHUB_SHA: MERGE,
      }),
      { action: 'closed', pull_request: pullRequest({ merged: true, merge_commit_sha: MERGE }) },
    );
    expect(context).toMatchObject({ branch: 'int-003-ci', sha: MERGE });
    expect(context.pr).toMatchObject({ action: 'closed', merged: true, target: 'main' });
  });

  it('an event file that is missing or not an object gives what the variables say', () => {
    for (const event of [undefined, null, 'text', 42]) {
      const context = detectCiContext(
        github({ GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/x', GITHUB_SHA: HEAD }),
        event,
      );
      expect(context).toMatchObject({ branch: 'x', sha: HEAD });
      expect(context.pr).toBeUndefined();
      expect(context.commits).toBeUndefined();
    }
  });

  it('GITHUB_SERVER_URL of GitHub Enterprise makes the run URL', () => {
    const context = detectCiContext(
      github({ GITHUB_SERVER_URL: 'https://github.example.com/', GITHUB_REF: 'refs/heads/x' }),
    );
    expect(context.pipeline?.url).toBe('https://github.example.com/acme/shop/actions/runs/4242');
  });
});

const gitlab = (env: Record<string, string>) => ({
  GITLAB_CI: 'true',
  CI_PROJECT_PATH: 'group/sub/project',
  CI_PROJECT_ID: '4242',
  CI_PROJECT_URL: 'https://gitlab.com/group/sub/project',
  CI_DEFAULT_BRANCH: 'main',
  CI_PIPELINE_ID: '5001',
  CI_PIPELINE_URL: 'https://gitlab.com/group/sub/project/-/pipelines/5001',
  CI_JOB_NAME: 'storyflow',
  CI_COMMIT_SHA: HEAD,
  CI_COMMIT_MESSAGE: 'Add the CI endpoints',
  CI_COMMIT_AUTHOR: 'Alice <alice@example.com>',
  GITLAB_USER_LOGIN: 'alice',
  ...env,
});

const mergeRequest = (draft: string) =>
  gitlab({
    CI_PIPELINE_SOURCE: 'merge_request_event',
    CI_COMMIT_REF_NAME: 'int-003-ci',
    CI_MERGE_REQUEST_IID: '7',
    CI_MERGE_REQUEST_TITLE: 'INT-003: CI endpoints',
    CI_MERGE_REQUEST_DESCRIPTION: 'Closes INT-003',
    CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'int-003-ci',
    CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
    CI_MERGE_REQUEST_DRAFT: draft,
  });

describe('detectCiContext on GitLab CI', () => {
  it('a merge request pipeline: the source branch and the MR', () => {
    const context = detectCiContext(mergeRequest('false'));
    expect(context).toEqual({
      provider: 'gitlab-ci',
      repository: 'group/sub/project',
      repositoryId: '4242',
      sha: HEAD,
      defaultBranch: 'main',
      actor: 'alice',
      trigger: 'merge_request_event',
      runKey: 'gitlab:group/sub/project:5001:storyflow',
      branch: 'int-003-ci',
      pipeline: { id: '5001', url: 'https://gitlab.com/group/sub/project/-/pipelines/5001' },
      pr: {
        number: 7,
        title: 'INT-003: CI endpoints',
        body: 'Closes INT-003',
        source: 'int-003-ci',
        target: 'main',
        url: 'https://gitlab.com/group/sub/project/-/merge_requests/7',
        draft: false,
      },
      commits: [
        { sha: HEAD, message: 'Add the CI endpoints', author: 'Alice <alice@example.com>' },
      ],
    });
  });

  it('a draft merge request (CI_MERGE_REQUEST_DRAFT=true) is a draft', () => {
    expect(detectCiContext(mergeRequest('true')).pr?.draft).toBe(true);
  });

  it('a tag pipeline (CI_COMMIT_TAG, no CI_COMMIT_BRANCH): a tag and no branch', () => {
    const context = detectCiContext(
      gitlab({ CI_PIPELINE_SOURCE: 'push', CI_COMMIT_REF_NAME: 'v1.2.0', CI_COMMIT_TAG: 'v1.2.0' }),
    );
    expect(context.tag).toBe('v1.2.0');
    expect(context.branch).toBeUndefined();
    expect(context.pr).toBeUndefined();
  });

  it('a branch pipeline of a deployment: the branch and the environment', () => {
    const context = detectCiContext(
      gitlab({
        CI_PIPELINE_SOURCE: 'push',
        CI_COMMIT_BRANCH: 'main',
        CI_ENVIRONMENT_NAME: 'production',
      }),
    );
    expect(context).toMatchObject({ branch: 'main', environment: 'production', trigger: 'push' });
    expect(context.tag).toBeUndefined();
  });
});

describe('detectCiContext on Jenkins', () => {
  const jenkins = (env: Record<string, string>) => ({
    JENKINS_URL: 'https://jenkins.example.com/',
    JOB_NAME: 'shop/main',
    BUILD_NUMBER: '31',
    BUILD_URL: 'https://jenkins.example.com/job/shop/job/main/31/',
    GIT_COMMIT: HEAD,
    GIT_URL: 'https://github.com/acme/shop.git',
    ...env,
  });

  it('a multibranch change request: the PR from CHANGE_*', () => {
    const context = detectCiContext(
      jenkins({
        BRANCH_NAME: 'PR-12',
        CHANGE_ID: '12',
        CHANGE_BRANCH: 'int-003-ci',
        CHANGE_TARGET: 'main',
        CHANGE_TITLE: 'INT-003: CI endpoints',
        CHANGE_URL: 'https://github.com/acme/shop/pull/12',
      }),
    );
    expect(context).toEqual({
      provider: 'jenkins',
      sha: HEAD,
      runKey: 'jenkins:shop/main:31',
      branch: 'int-003-ci',
      pr: {
        number: 12,
        title: 'INT-003: CI endpoints',
        body: '',
        source: 'int-003-ci',
        target: 'main',
        url: 'https://github.com/acme/shop/pull/12',
        draft: false,
      },
      pipeline: {
        id: '31',
        name: 'shop/main',
        url: 'https://jenkins.example.com/job/shop/job/main/31/',
      },
      repository: 'acme/shop',
    });
  });

  it('a multibranch branch build, and a freestyle job with GIT_BRANCH origin/…', () => {
    expect(detectCiContext(jenkins({ BRANCH_NAME: 'main' })).branch).toBe('main');
    const freestyle = detectCiContext(
      jenkins({ GIT_BRANCH: 'origin/feature/x', GIT_URL: 'git@gitlab.com:group/sub/proj.git' }),
    );
    expect(freestyle).toMatchObject({ branch: 'feature/x', repository: 'group/sub/proj' });
    expect(freestyle.pr).toBeUndefined();
  });
});

describe('detectCiContext elsewhere', () => {
  it('without a known CI the context is generic: flags say the rest', () => {
    expect(detectCiContext({})).toEqual({ provider: 'generic' });
    // Half a CI environment is not that CI.
    expect(detectCiContext({ GITHUB_ACTIONS: 'false', GITLAB_CI: '', JENKINS_URL: '' })).toEqual({
      provider: 'generic',
    });
  });

  it.each([
    ['https://github.com/acme/shop.git', 'acme/shop'],
    ['https://github.com/acme/shop', 'acme/shop'],
    ['git@gitlab.com:group/sub/project.git', 'group/sub/project'],
    ['ssh://git@gitlab.example.com/group/project.git/', 'group/project'],
    ['', undefined],
  ])('repositoryFromGitUrl(%j) is %j', (url, repository) => {
    expect(repositoryFromGitUrl(url)).toBe(repository);
  });
});
