// Azure DevOps service hook requests as a "Web Hooks" subscription sends them (basic-auth
// credentials, the JSON body), and payloads built from the vendor's examples in
// test/fixtures/azure-devops (see SOURCE.md there for what each builder adds).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type Payload = Record<string, any>;

export const AZURE_DEVOPS_SECRET = 'azure-devops-test-password';

/** The fixture files, by event type. */
export const AZURE_DEVOPS_FIXTURES = [
  'git.push',
  'git.pullrequest.created',
  'git.pullrequest.updated',
  'git.pullrequest.merged',
  'build.complete',
  'ms.vss-release.deployment-completed-event',
  'ms.vss-pipelines.run-state-changed-event',
] as const;

export type AzureDevopsFixtureName = (typeof AZURE_DEVOPS_FIXTURES)[number];

/** A fresh (safe to mutate) copy of test/fixtures/azure-devops/<name>.json. */
export function azureDevopsFixture(name: AzureDevopsFixtureName): Payload {
  const url = new URL(`../fixtures/azure-devops/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Payload;
}

/** `webhooks.azureDevops` for a test server: the basic-auth password, no header. */
export function azureDevopsTestConfig() {
  return { secrets: [AZURE_DEVOPS_SECRET], header: null };
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * POSTs to /webhooks/azure-devops with basic-auth credentials (user "azure-devops" unless
 * given); `authorization: ''` sends none.
 */
export async function postAzureDevops(
  baseUrl: string,
  payload: unknown,
  options: {
    user?: string;
    password?: string;
    authorization?: string;
    headers?: Record<string, string>;
    body?: string;
  } = {},
): Promise<{ status: number; body: any }> {
  const authorization =
    options.authorization ??
    basicAuth(options.user ?? 'azure-devops', options.password ?? AZURE_DEVOPS_SECRET);
  const response = await fetch(`${baseUrl}/webhooks/azure-devops`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...(authorization === '' ? {} : { authorization }),
      ...options.headers,
    },
    body: options.body ?? JSON.stringify(payload),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

// ---- Payload builders ------------------------------------------------------------------------

/** The repository of the pull request examples, used for every payload built here. */
export const AZURE_DEVOPS_REPOSITORY = 'Fabrikam/Fabrikam';

function fabrikamRepository(): Payload {
  return azureDevopsFixture('git.pullrequest.created').resource.repository;
}

/** A fresh event id, as every Azure DevOps event has its own. */
function withNewId(payload: Payload): Payload {
  payload.id = randomUUID();
  return payload;
}

/** A git.push of `commits` to `branch`; oldObjectId all zeros when the push creates it. */
export function azurePush(
  branch: string,
  commits: { id: string; message: string }[],
  options: { created?: boolean; before?: string } = {},
): Payload {
  const payload = withNewId(azureDevopsFixture('git.push'));
  const template = payload.resource.commits[0];
  payload.resource.repository = fabrikamRepository();
  payload.resource.commits = commits.map((commit) => ({
    ...structuredClone(template),
    commitId: commit.id,
    comment: commit.message,
  }));
  payload.resource.refUpdates = [
    {
      name: `refs/heads/${branch}`,
      oldObjectId: options.created ? '0'.repeat(40) : (options.before ?? '1'.repeat(40)),
      newObjectId: commits.at(-1)?.id ?? '2'.repeat(40),
    },
  ];
  return payload;
}

/** A pull request event (created: active; updated with `status`), its branches and texts edited. */
export function azurePullRequest(
  event: 'git.pullrequest.created' | 'git.pullrequest.updated' | 'git.pullrequest.merged',
  edits: {
    id: number;
    source: string;
    target?: string;
    title?: string;
    description?: string;
    status?: 'active' | 'completed' | 'abandoned';
    mergeSha?: string;
    headSha?: string;
  },
): Payload {
  const payload = withNewId(azureDevopsFixture(event));
  const resource = payload.resource;
  resource.repository = fabrikamRepository();
  resource.pullRequestId = edits.id;
  resource.status = edits.status ?? (event === 'git.pullrequest.created' ? 'active' : 'completed');
  resource.sourceRefName = `refs/heads/${edits.source}`;
  resource.targetRefName = `refs/heads/${edits.target ?? 'main'}`;
  resource.title = edits.title ?? `Work on ${edits.source}`;
  resource.description = edits.description ?? '';
  if (edits.headSha !== undefined) resource.lastMergeSourceCommit.commitId = edits.headSha;
  if (edits.mergeSha !== undefined) resource.lastMergeCommit.commitId = edits.mergeSha;
  return payload;
}

/**
 * A build.complete of the current (2.0) resource: the example's 1.0 resource with the Build
 * resource's `status: completed`, `result`, `sourceBranch`, `sourceVersion`, `project` and
 * `repository` set.
 */
export function azureBuild(
  result: 'succeeded' | 'failed' | 'partiallySucceeded' | 'canceled',
  edits: { id: number; branch: string; sha: string },
): Payload {
  const payload = withNewId(azureDevopsFixture('build.complete'));
  const resource = payload.resource;
  const repository = fabrikamRepository();
  resource.id = edits.id;
  resource.status = 'completed';
  resource.result = result;
  resource.sourceBranch = `refs/heads/${edits.branch}`;
  resource.sourceVersion = edits.sha;
  resource.sourceGetVersion = `LG:refs/heads/${edits.branch}:${edits.sha}`;
  resource.project = { id: repository.project.id, name: repository.project.name };
  resource.repository = { id: repository.id, type: 'TfsGit', name: repository.name };
  return payload;
}

/**
 * A release deployment-completed event: the example with the environment's name and status
 * set, and the release's primary artifact (a build of the repository) naming its branch and
 * commit, as the approval examples' `resource.release.artifacts` do with the source fields.
 */
export function azureDeployment(
  status: 'succeeded' | 'rejected' | 'canceled' | 'partiallySucceeded',
  edits: { environment: string; environmentId: number; sha: string; branch?: string },
): Payload {
  const payload = withNewId(azureDevopsFixture('ms.vss-release.deployment-completed-event'));
  const resource = payload.resource;
  const repository = fabrikamRepository();
  resource.environment.id = edits.environmentId;
  resource.environment.name = edits.environment;
  resource.environment.status = status;
  resource.release = {
    id: 1,
    name: 'Release-1',
    artifacts: [
      {
        sourceId: `${repository.project.id}:1`,
        type: 'Build',
        alias: 'Fabrikam.CI',
        isPrimary: true,
        definitionReference: {
          definition: { id: '1', name: 'Fabrikam.CI' },
          project: { id: repository.project.id, name: repository.project.name },
          repository: { id: repository.id, name: repository.name },
          branch: { id: `refs/heads/${edits.branch ?? 'main'}`, name: edits.branch ?? 'main' },
          sourceVersion: { id: edits.sha, name: edits.sha },
        },
      },
    ],
  };
  return payload;
}
