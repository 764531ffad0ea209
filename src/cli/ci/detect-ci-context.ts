// What the current CI job is about, read from the runner's environment: GitHub Actions,
// GitLab CI, Jenkins, or flags for anything else. Pure: the caller passes env and the event file.

export type CiProvider = 'github-actions' | 'gitlab-ci' | 'jenkins' | 'generic';

export interface CiPullRequest {
  number: number;
  title: string;
  body: string;
  source: string;
  target: string;
  url: string;
  draft: boolean;
  /** The PR event's action or state: opened, synchronize, closed+merged, … */
  action?: string;
  merged?: boolean;
}

export interface CiContext {
  provider: CiProvider;
  repository?: string;
  repositoryId?: string;
  branch?: string;
  tag?: string;
  sha?: string;
  defaultBranch?: string;
  pr?: CiPullRequest;
  commits?: { sha: string; message: string; author: string }[];
  pipeline?: { id: string; name?: string; url?: string };
  /** Identifies this run across retries of a step (for the idempotency key). */
  runKey?: string;
  environment?: string;
  actor?: string;
  /** GitHub's event name (push, pull_request, …) or GitLab's pipeline source. */
  trigger?: string;
}

type Env = Record<string, string | undefined>;

/** What is read of a GitHub event payload: any of it may be missing or of another type. */
interface GithubEventFields {
  action?: unknown;
  repository?: { default_branch?: unknown } | null;
  pull_request?: {
    number?: unknown;
    title?: unknown;
    body?: unknown;
    html_url?: unknown;
    draft?: unknown;
    merged?: unknown;
    merge_commit_sha?: unknown;
    head?: { ref?: unknown; sha?: unknown } | null;
    base?: { ref?: unknown } | null;
  } | null;
  commits?: unknown;
}

interface GithubCommitFields {
  id?: unknown;
  message?: unknown;
  author?: { name?: unknown; username?: unknown } | null;
}

export function detectCiContext(env: Env, githubEvent?: unknown): CiContext {
  if (env.GITHUB_ACTIONS === 'true') return githubActions(env, githubEvent);
  if (env.GITLAB_CI === 'true') return gitlabCi(env);
  if (env.JENKINS_URL !== undefined && env.JENKINS_URL !== '') return jenkins(env);
  return { provider: 'generic' };
}

function githubActions(env: Env, event: unknown): CiContext {
  const payload = (typeof event === 'object' && event !== null ? event : {}) as GithubEventFields;
  const ref = env.GITHUB_REF ?? '';
  const server = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/$/, '');
  const repository = env.GITHUB_REPOSITORY;
  const context: CiContext = {
    provider: 'github-actions',
    ...(repository ? { repository } : {}),
    ...(env.GITHUB_REPOSITORY_ID ? { repositoryId: env.GITHUB_REPOSITORY_ID } : {}),
    ...(env.GITHUB_SHA ? { sha: env.GITHUB_SHA } : {}),
    ...(env.GITHUB_ACTOR ? { actor: env.GITHUB_ACTOR } : {}),
    ...(env.GITHUB_EVENT_NAME ? { trigger: env.GITHUB_EVENT_NAME } : {}),
    runKey: `github:${repository}:${env.GITHUB_RUN_ID}:${env.GITHUB_JOB ?? ''}`,
  };
  if (env.GITHUB_HEAD_REF) context.branch = env.GITHUB_HEAD_REF;
  else if (ref.startsWith('refs/heads/')) context.branch = ref.slice('refs/heads/'.length);
  else if (ref.startsWith('refs/tags/')) context.tag = ref.slice('refs/tags/'.length);
  const defaultBranch = payload.repository?.default_branch;
  if (typeof defaultBranch === 'string') context.defaultBranch = defaultBranch;
  if (env.GITHUB_RUN_ID) {
    context.pipeline = {
      id: env.GITHUB_RUN_ID,
      ...(env.GITHUB_WORKFLOW ? { name: env.GITHUB_WORKFLOW } : {}),
      url: `${server}/${repository}/actions/runs/${env.GITHUB_RUN_ID}`,
    };
  }
  const pr = payload.pull_request;
  if (pr && typeof pr.number === 'number') {
    context.pr = {
      number: pr.number,
      title: String(pr.title ?? ''),
      body: String(pr.body ?? ''),
      source: String(pr.head?.ref ?? env.GITHUB_HEAD_REF ?? ''),
      target: String(pr.base?.ref ?? env.GITHUB_BASE_REF ?? ''),
      url: String(pr.html_url ?? ''),
      draft: pr.draft === true,
      ...(typeof payload.action === 'string' ? { action: payload.action } : {}),
      merged: pr.merged === true,
    };
    // GITHUB_SHA of a pull_request run is GitHub's test merge commit, which nothing else knows:
    // the event is about the source head, or, once merged, the commit that landed (as the
    // webhook adapter says for pr.merged), so a later deployment of it finds the story.
    if (context.trigger?.startsWith('pull_request')) {
      if (pr.merged === true && typeof pr.merge_commit_sha === 'string')
        context.sha = pr.merge_commit_sha;
      else if (typeof pr.head?.sha === 'string') context.sha = pr.head.sha;
    }
  }
  if (Array.isArray(payload.commits)) {
    context.commits = (payload.commits as (GithubCommitFields | null)[])
      .filter((commit) => typeof commit?.id === 'string')
      .map((commit) => ({
        sha: String(commit?.id),
        message: String(commit?.message ?? ''),
        author: String(commit?.author?.name ?? commit?.author?.username ?? ''),
      }));
  }
  return context;
}

function gitlabCi(env: Env): CiContext {
  const context: CiContext = {
    provider: 'gitlab-ci',
    ...(env.CI_PROJECT_PATH ? { repository: env.CI_PROJECT_PATH } : {}),
    ...(env.CI_PROJECT_ID ? { repositoryId: env.CI_PROJECT_ID } : {}),
    ...(env.CI_COMMIT_SHA ? { sha: env.CI_COMMIT_SHA } : {}),
    ...(env.CI_DEFAULT_BRANCH ? { defaultBranch: env.CI_DEFAULT_BRANCH } : {}),
    ...(env.CI_ENVIRONMENT_NAME ? { environment: env.CI_ENVIRONMENT_NAME } : {}),
    ...(env.GITLAB_USER_LOGIN ? { actor: env.GITLAB_USER_LOGIN } : {}),
    ...(env.CI_PIPELINE_SOURCE ? { trigger: env.CI_PIPELINE_SOURCE } : {}),
    runKey: `gitlab:${env.CI_PROJECT_PATH}:${env.CI_PIPELINE_ID}:${env.CI_JOB_NAME ?? ''}`,
  };
  const branch = env.CI_COMMIT_BRANCH ?? env.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME;
  if (branch) context.branch = branch;
  if (env.CI_COMMIT_TAG) context.tag = env.CI_COMMIT_TAG;
  if (env.CI_PIPELINE_ID) {
    context.pipeline = {
      id: env.CI_PIPELINE_ID,
      ...(env.CI_PIPELINE_NAME ? { name: env.CI_PIPELINE_NAME } : {}),
      ...(env.CI_PIPELINE_URL ? { url: env.CI_PIPELINE_URL } : {}),
    };
  }
  if (env.CI_MERGE_REQUEST_IID) {
    const projectUrl = env.CI_PROJECT_URL ?? '';
    context.pr = {
      number: Number(env.CI_MERGE_REQUEST_IID),
      title: env.CI_MERGE_REQUEST_TITLE ?? '',
      body: env.CI_MERGE_REQUEST_DESCRIPTION ?? '',
      source: env.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME ?? branch ?? '',
      target: env.CI_MERGE_REQUEST_TARGET_BRANCH_NAME ?? '',
      url: projectUrl ? `${projectUrl}/-/merge_requests/${env.CI_MERGE_REQUEST_IID}` : '',
      draft: env.CI_MERGE_REQUEST_DRAFT === 'true',
    };
  }
  if (env.CI_COMMIT_SHA && env.CI_COMMIT_MESSAGE) {
    context.commits = [
      {
        sha: env.CI_COMMIT_SHA,
        message: env.CI_COMMIT_MESSAGE,
        author: env.CI_COMMIT_AUTHOR ?? '',
      },
    ];
  }
  return context;
}

function jenkins(env: Env): CiContext {
  const context: CiContext = {
    provider: 'jenkins',
    ...(env.GIT_COMMIT ? { sha: env.GIT_COMMIT } : {}),
    runKey: `jenkins:${env.JOB_NAME}:${env.BUILD_NUMBER ?? env.BUILD_ID ?? ''}`,
  };
  // Multibranch pipelines: BRANCH_NAME is the branch, or PR-12 for a change request.
  if (env.CHANGE_ID) {
    context.branch = env.CHANGE_BRANCH ?? env.BRANCH_NAME;
    context.pr = {
      number: Number(env.CHANGE_ID),
      title: env.CHANGE_TITLE ?? '',
      body: '',
      source: env.CHANGE_BRANCH ?? env.BRANCH_NAME ?? '',
      target: env.CHANGE_TARGET ?? '',
      url: env.CHANGE_URL ?? '',
      draft: false,
    };
  } else if (env.BRANCH_NAME) {
    context.branch = env.BRANCH_NAME;
  } else if (env.GIT_BRANCH) {
    context.branch = env.GIT_BRANCH.replace(/^origin\//, '');
  }
  if (env.BUILD_URL) {
    context.pipeline = {
      id: env.BUILD_NUMBER ?? env.BUILD_ID ?? env.BUILD_URL,
      ...(env.JOB_NAME ? { name: env.JOB_NAME } : {}),
      url: env.BUILD_URL,
    };
  }
  const repository = repositoryFromGitUrl(env.GIT_URL);
  if (repository) context.repository = repository;
  return context;
}

/** `https://github.com/acme/shop.git`, `git@gitlab.com:group/sub/proj.git` → the path. */
export function repositoryFromGitUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const match = /^(?:[a-z+]+:\/\/[^/]+\/|[^@]+@[^:]+:)(.+?)(?:\.git)?\/?$/.exec(url);
  return match?.[1];
}
