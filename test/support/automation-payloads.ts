// Real provider payloads edited to name the stories of an end-to-end scenario: GitHub examples
// from @octokit/webhooks-examples and GitLab's documented examples (test/fixtures/gitlab).
import { createHash } from 'node:crypto';
import { githubExample, type Payload } from '../providers/github/github-examples.js';
import { branchPush, gitlabFixture } from './webhooks.js';

/** A 40-hex commit sha derived from `seed` (stable across runs). */
export function sha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

// ---- GitHub ---------------------------------------------------------------------------------

/** The repository of every GitHub example, and its default branch. */
export const GITHUB_REPOSITORY = 'Codertocat/Hello-World';
export const GITHUB_DEFAULT_BRANCH = 'master';

/** `create` of a branch (the examples are tag creations: ref_type and ref edited). */
export function githubCreateBranch(branch: string): Payload {
  const payload = githubExample('create');
  payload.ref_type = 'branch';
  payload.ref = branch;
  return payload;
}

export interface PullRequestEdits {
  number: number;
  head: string;
  /** Default: the repository's default branch. */
  base?: string;
  title?: string;
  body?: string;
  draft?: boolean;
  /** For `closed`: merged with this merge commit. */
  mergeSha?: string;
  /** When GitHub last changed the PR (updated_at, and closed_at/merged_at when closed). */
  at?: string;
}

/** A `pull_request` event with the given action, its branches and texts edited. */
export function githubPullRequest(
  action: 'opened' | 'ready_for_review' | 'closed' | 'edited',
  edits: PullRequestEdits,
): Payload {
  const payload = githubExample('pull_request', action);
  const pr = payload.pull_request;
  payload.number = edits.number;
  pr.number = edits.number;
  pr.html_url = `https://github.com/${GITHUB_REPOSITORY}/pull/${edits.number}`;
  pr.head.ref = edits.head;
  pr.head.sha = sha(`${edits.head} head`);
  pr.base.ref = edits.base ?? payload.repository.default_branch;
  pr.title = edits.title ?? `Work on ${edits.head}`;
  pr.body = edits.body ?? '';
  pr.draft = edits.draft ?? false;
  if (action === 'closed') {
    pr.state = 'closed';
    pr.merged = edits.mergeSha !== undefined;
    pr.merge_commit_sha = edits.mergeSha ?? null;
    pr.merged_at = edits.mergeSha === undefined ? null : pr.closed_at;
  }
  if (edits.at !== undefined) {
    pr.updated_at = edits.at;
    if (action === 'closed') {
      pr.closed_at = edits.at;
      pr.merged_at = pr.merged ? edits.at : null;
    }
  }
  return payload;
}

/** A `deployment_status` event for `sha` in `environment`. */
export function githubDeploymentStatus(
  state: 'success' | 'failure' | 'error' | 'in_progress',
  edits: {
    sha: string;
    environment: string;
    ref?: string;
    deploymentId?: number;
    /** deployment_status.id: GitHub numbers each new status higher. */
    statusId?: number;
    /** deployment_status.created_at and updated_at. */
    at?: string;
  },
): Payload {
  const payload = githubExample(
    'deployment_status',
    (candidate) => candidate.deployment_status.state === 'success',
  );
  payload.deployment_status.state = state;
  payload.deployment_status.environment = edits.environment;
  payload.deployment.environment = edits.environment;
  payload.deployment.original_environment = edits.environment;
  payload.deployment.sha = edits.sha;
  payload.deployment.ref = edits.ref ?? payload.repository.default_branch;
  if (edits.deploymentId !== undefined) payload.deployment.id = edits.deploymentId;
  if (edits.statusId !== undefined) payload.deployment_status.id = edits.statusId;
  if (edits.at !== undefined) {
    payload.deployment_status.created_at = edits.at;
    payload.deployment_status.updated_at = edits.at;
  }
  return payload;
}

/** A `deployment` (created) event for `sha` in `environment`. */
export function githubDeployment(edits: {
  sha: string;
  environment: string;
  ref: string;
  deploymentId: number;
  at: string;
}): Payload {
  const payload = githubExample('deployment', 'created');
  const deployment = payload.deployment;
  deployment.id = edits.deploymentId;
  deployment.sha = edits.sha;
  deployment.ref = edits.ref;
  deployment.environment = edits.environment;
  deployment.original_environment = edits.environment;
  deployment.created_at = edits.at;
  deployment.updated_at = edits.at;
  return payload;
}

/**
 * A `workflow_run` of run `id` on `branch`: `requested`, or `completed` with a conclusion.
 * Made from the examples of the package's own repository, moved to GITHUB_REPOSITORY.
 */
export function githubWorkflowRun(
  action: 'requested' | 'completed',
  edits: {
    id: number;
    branch: string;
    sha: string;
    attempt: number;
    /** updated_at (and, for requested, run_started_at). */
    at: string;
    conclusion?: 'success' | 'failure';
  },
): Payload {
  const payload = githubExample('workflow_run', (candidate) =>
    action === 'requested'
      ? candidate.action === 'requested' && candidate.workflow_run.conclusion === null
      : candidate.action === 'completed' && candidate.workflow_run.conclusion === 'success',
  );
  payload.repository = githubExample('pull_request', 'opened').repository;
  const run = payload.workflow_run;
  run.id = edits.id;
  run.head_branch = edits.branch;
  run.head_sha = edits.sha;
  run.run_attempt = edits.attempt;
  run.updated_at = edits.at;
  run.html_url = `https://github.com/${GITHUB_REPOSITORY}/actions/runs/${edits.id}`;
  if (action === 'requested') run.run_started_at = edits.at;
  else {
    run.status = 'completed';
    run.conclusion = edits.conclusion ?? 'success';
  }
  return payload;
}

/** A `push` of `commits` to `branch` (an existing branch unless `created`). */
export function githubPush(
  branch: string,
  commits: { id: string; message: string }[],
  options: { created?: boolean } = {},
): Payload {
  const payload = branchPush();
  const template = payload.commits[0];
  payload.ref = `refs/heads/${branch}`;
  payload.created = options.created ?? false;
  payload.before = options.created ? '0'.repeat(40) : sha(`${branch} before`);
  payload.commits = commits.map((commit) => ({
    ...structuredClone(template),
    id: commit.id,
    tree_id: sha(`${commit.id} tree`),
    message: commit.message,
    url: `https://github.com/${GITHUB_REPOSITORY}/commit/${commit.id}`,
  }));
  payload.head_commit = payload.commits.at(-1) ?? null;
  payload.after = commits.at(-1)?.id ?? sha(`${branch} after`);
  payload.compare = `https://github.com/${GITHUB_REPOSITORY}/compare/${payload.before}...${payload.after}`;
  return payload;
}

// ---- GitLab ---------------------------------------------------------------------------------

/** The project of the Merge Request Hook example, used for every GitLab payload. */
export const GITLAB_REPOSITORY = 'gitlabhq/gitlab-test';
export const GITLAB_DEFAULT_BRANCH = 'master';

function gitlabProject(): Payload {
  return gitlabFixture('merge_request').project;
}

/** A Push Hook to `branch`; `before` all zeros when the push creates the branch. */
export function gitlabPush(
  branch: string,
  commits: { id: string; message: string }[],
  options: { created?: boolean } = {},
): Payload {
  const payload = gitlabFixture('push');
  const template = payload.commits[0];
  payload.project = gitlabProject();
  payload.project_id = payload.project.id;
  payload.ref = `refs/heads/${branch}`;
  payload.before = options.created ? '0'.repeat(40) : sha(`${branch} before`);
  payload.commits = commits.map((commit) => ({
    ...structuredClone(template),
    id: commit.id,
    message: commit.message,
    title: commit.message.split('\n', 1)[0],
    url: `http://example.com/${GITLAB_REPOSITORY}/commit/${commit.id}`,
  }));
  payload.after = commits.at(-1)?.id ?? sha(`${branch} after`);
  payload.checkout_sha = payload.after;
  payload.total_commits_count = commits.length;
  return payload;
}

/** A Merge Request Hook with `action` open or merge, its branches and texts edited. */
export function gitlabMergeRequest(
  action: 'open' | 'merge',
  edits: {
    iid: number;
    source: string;
    target?: string;
    title?: string;
    description?: string;
    draft?: boolean;
    mergeSha?: string;
    /** object_attributes.updated_at. */
    at?: string;
  },
): Payload {
  const payload = gitlabFixture('merge_request');
  const attributes = payload.object_attributes;
  attributes.action = action;
  attributes.state = action === 'merge' ? 'merged' : 'opened';
  attributes.iid = edits.iid;
  attributes.source_branch = edits.source;
  attributes.target_branch = edits.target ?? payload.project.default_branch;
  attributes.title = edits.title ?? `Work on ${edits.source}`;
  attributes.description = edits.description ?? '';
  attributes.draft = edits.draft ?? false;
  attributes.work_in_progress = edits.draft ?? false;
  attributes.url = `http://example.com/${GITLAB_REPOSITORY}/-/merge_requests/${edits.iid}`;
  attributes.last_commit.id = sha(`${edits.source} head`);
  if (action === 'merge') attributes.merge_commit_sha = edits.mergeSha;
  if (edits.at !== undefined) attributes.updated_at = edits.at;
  return payload;
}

/** A Pipeline Hook with `status` for `ref` at `sha`. */
export function gitlabPipeline(
  status: 'failed' | 'success' | 'running',
  edits: {
    ref: string;
    sha: string;
    id: number;
    /** finished_at (null while running), in GitLab's spaced format. */
    finishedAt?: string | null;
  },
): Payload {
  const payload = gitlabFixture('pipeline');
  payload.project = gitlabProject();
  const attributes = payload.object_attributes;
  attributes.status = status;
  attributes.ref = edits.ref;
  attributes.sha = edits.sha;
  attributes.id = edits.id;
  attributes.name = `Pipeline for branch: ${edits.ref}`;
  attributes.url = `http://example.com/${GITLAB_REPOSITORY}/-/pipelines/${edits.id}`;
  payload.commit.id = edits.sha;
  if (edits.finishedAt !== undefined) attributes.finished_at = edits.finishedAt;
  return payload;
}

/** A Deployment Hook with `status` for `sha` (read from commit_url) in `environment`. */
export function gitlabDeployment(
  status: 'success' | 'failed' | 'running',
  edits: {
    sha: string;
    environment: string;
    id: number;
    /** status_changed_at, in GitLab's spaced format. */
    at?: string;
  },
): Payload {
  const payload = gitlabFixture('deployment');
  payload.project = gitlabProject();
  payload.status = status;
  payload.deployment_id = edits.id;
  payload.environment = edits.environment;
  payload.environment_slug = edits.environment;
  payload.environment_tier = edits.environment;
  payload.environment_external_url = `https://${edits.environment}.example.com`;
  payload.short_sha = edits.sha.slice(0, 8);
  payload.commit_url = `http://example.com/${GITLAB_REPOSITORY}/-/commit/${edits.sha}`;
  if (edits.at !== undefined) payload.status_changed_at = edits.at;
  return payload;
}
