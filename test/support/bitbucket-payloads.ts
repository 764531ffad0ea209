// Bitbucket payloads for the automation end-to-end test: the captured deliveries of
// test/fixtures/bitbucket, edited in memory to name the fixture stories' branches and texts.
import { sha } from './automation-payloads.js';
import { bitbucketFixture } from './webhooks.js';

type Payload = Record<string, any>;

/** The Cloud repository of the captured pull request and push deliveries. */
export const BITBUCKET_CLOUD_REPOSITORY = 'amuniz/test-repos';
/** The Data Center repository of the captured deliveries (project key AMUNIZ). */
export const BITBUCKET_DC_REPOSITORY = 'AMUNIZ/test-repos';

/**
 * A Cloud repo:push of `commits` (oldest first) to `branch`: one ref change, which creates the
 * branch when `created`. Bitbucket lists the commits newest first; so does this.
 */
export function bitbucketCloudPush(
  branch: string,
  commits: { id: string; message: string }[],
  options: { created?: boolean } = {},
): Payload {
  const payload = bitbucketFixture('cloud-push-updated');
  const change = payload.push.changes[0];
  const template = change.commits[0];
  const head = commits.at(-1)?.id ?? sha(`${branch} head`);
  change.new.name = branch;
  change.new.target.hash = head;
  change.created = options.created === true;
  if (options.created) change.old = null;
  else change.old.name = branch;
  change.commits = [...commits].reverse().map((commit) => ({
    ...structuredClone(template),
    hash: commit.id,
    message: commit.message,
  }));
  change.truncated = false;
  change.links.html.href = `https://bitbucket.org/${BITBUCKET_CLOUD_REPOSITORY}/branch/${branch}`;
  return payload;
}

/** A Cloud pullrequest:* delivery for pull request `id` from `source` into `target`. */
export function bitbucketCloudPullRequest(edits: {
  id: number;
  source: string;
  target?: string;
  title?: string;
  description?: string;
  /** The 12-character merge commit hash Bitbucket gives on pullrequest:fulfilled. */
  mergeHash?: string;
  state?: 'OPEN' | 'MERGED' | 'DECLINED';
}): Payload {
  const payload = bitbucketFixture('cloud-pullrequest-created');
  const pullRequest = payload.pullrequest;
  pullRequest.id = edits.id;
  pullRequest.title = edits.title ?? `Work on ${edits.source}`;
  pullRequest.description = edits.description ?? '';
  pullRequest.source.branch.name = edits.source;
  pullRequest.source.commit.hash = sha(`${edits.source} head`).slice(0, 12);
  pullRequest.destination.branch.name = edits.target ?? 'master';
  pullRequest.state = edits.state ?? 'OPEN';
  pullRequest.merge_commit = edits.mergeHash === undefined ? null : { hash: edits.mergeHash };
  pullRequest.links.html.href = `https://bitbucket.org/${BITBUCKET_CLOUD_REPOSITORY}/pull-requests/${edits.id}`;
  return payload;
}

/** A Cloud repo:commit_status_* delivery: a build status `state` on `commit`, for `refname`. */
export function bitbucketCloudCommitStatus(
  state: 'INPROGRESS' | 'SUCCESSFUL' | 'FAILED' | 'STOPPED',
  edits: { commit: string; refname: string; build: number; at: string },
): Payload {
  const payload = bitbucketFixture('cloud-commit-status-updated');
  payload.repository = bitbucketFixture('cloud-pullrequest-created').repository;
  const status = payload.commit_status;
  status.state = state;
  status.key = 'storyflow-e2e-build';
  status.url = `https://ci.example.com/builds/${edits.build}`;
  status.refname = edits.refname;
  status.commit = { hash: edits.commit, type: 'commit' };
  status.links.commit.href = `https://api.bitbucket.org/2.0/repositories/${BITBUCKET_CLOUD_REPOSITORY}/commit/${edits.commit}`;
  status.updated_on = edits.at;
  return payload;
}

/** A Data Center repo:refs_changed of `commits` (oldest first) to `branch`. */
export function bitbucketDataCenterPush(
  branch: string,
  commits: { id: string; message: string }[],
  options: { created?: boolean } = {},
): Payload {
  const payload = bitbucketFixture('dc-refs-changed-branch-created');
  const template = payload.commits[0];
  const from = options.created ? '0'.repeat(40) : sha(`${branch} before`);
  const listed = commits.map((commit, index) => ({
    ...structuredClone(template),
    id: commit.id,
    displayId: commit.id.slice(0, 11),
    message: commit.message,
    parents: [{ id: commits[index - 1]?.id ?? from, displayId: '' }],
  }));
  const head = commits.at(-1)?.id ?? sha(`${branch} head`);
  payload.changes = [
    {
      ref: { id: `refs/heads/${branch}`, displayId: branch, type: 'BRANCH' },
      refId: `refs/heads/${branch}`,
      fromHash: from,
      toHash: head,
      type: options.created ? 'ADD' : 'UPDATE',
    },
  ];
  payload.commits = listed.reverse();
  payload.toCommit = payload.commits[0];
  return payload;
}

/** A Data Center pr:* delivery for pull request `id`, in the AMUNIZ/test-repos repository. */
export function bitbucketDataCenterPullRequest(edits: {
  id: number;
  source: string;
  target?: string;
  description?: string;
  mergeCommit?: string;
}): Payload {
  const payload = bitbucketFixture('dc-pr-opened');
  const repository = bitbucketFixture('dc-refs-changed-branch-created').repository;
  const pullRequest = payload.pullRequest;
  const target = edits.target ?? 'master';
  pullRequest.id = edits.id;
  pullRequest.title = `Work on ${edits.source}`;
  pullRequest.description = edits.description ?? '';
  pullRequest.fromRef = {
    ...pullRequest.fromRef,
    id: `refs/heads/${edits.source}`,
    displayId: edits.source,
    latestCommit: sha(`${edits.source} head`),
    repository,
  };
  pullRequest.toRef = {
    ...pullRequest.toRef,
    id: `refs/heads/${target}`,
    displayId: target,
    repository,
  };
  if (edits.mergeCommit !== undefined) {
    pullRequest.state = 'MERGED';
    pullRequest.properties = {
      mergeCommit: { displayId: edits.mergeCommit.slice(0, 11), id: edits.mergeCommit },
    };
  }
  pullRequest.links.self[0].href = `http://localhost:7990/bitbucket/projects/AMUNIZ/repos/test-repos/pull-requests/${edits.id}`;
  return payload;
}
