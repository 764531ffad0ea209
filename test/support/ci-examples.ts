// What the tests of examples/ and docs/ci share: paths, the action as a runner downloads it,
// and real GitHub payloads from @octokit/webhooks-examples edited to be about INT-003 in the
// repository the docs use as placeholder (your-org/your-repo).
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { githubExample, type Payload } from '../providers/github/github-examples.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const EXAMPLES_DIR = join(REPO_ROOT, 'examples');
export const DOCS_CI_DIR = join(REPO_ROOT, 'docs/ci');

/** The placeholder repository of the docs and examples, used as the emulated repository. */
export const REPOSITORY = 'your-org/your-repo';
export const STORY_BRANCH = 'int-003-cicd-integration-endpoints';
export const MERGE_SHA = 'b5f3c9e2d1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6';

/** A scratch directory, removed by the returned function. */
export function scratchDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `storyflow-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The action as `uses: <owner>/storyflow@<ref>` gets it on a runner: the committed action.yml
 * and action/ bundle only, in a directory with no node_modules and no dist/ anywhere above.
 */
export function stageAction(dir: string): string {
  const target = join(dir, 'storyflow-action');
  mkdirSync(join(target, 'action'), { recursive: true });
  copyFileSync(join(REPO_ROOT, 'action.yml'), join(target, 'action.yml'));
  for (const file of readdirSync(join(REPO_ROOT, 'action'))) {
    copyFileSync(join(REPO_ROOT, 'action', file), join(target, 'action', file));
  }
  return target;
}

/**
 * stageAction with action/index.cjs built now from the sources by the build:action script's
 * esbuild command (into the scratch directory, never over the committed bundle): for examples
 * of a command the committed bundle may not have yet (it is rebuilt when a branch is merged;
 * test/ci/action-bundle.test.ts says when it is stale).
 */
export function stageFreshAction(dir: string): string {
  const target = stageAction(dir);
  const script: string = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).scripts[
    'build:action'
  ];
  const args = script
    .split(/\s+/)
    .slice(1)
    .map((arg) =>
      arg === '--outfile=action/index.cjs' ? `--outfile=${join(target, 'action/index.cjs')}` : arg,
    );
  execFileSync(join(REPO_ROOT, 'node_modules/.bin/esbuild'), args, {
    cwd: REPO_ROOT,
    stdio: 'pipe',
  });
  return target;
}

/** Every file under examples/, relative to the repository root. */
export function exampleFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(relative(REPO_ROOT, path));
    }
  };
  walk(EXAMPLES_DIR);
  return files.sort();
}

function inRepository(payload: Payload, fullName = REPOSITORY): Payload {
  const [owner, name] = fullName.split('/') as [string, string];
  const repository = payload.repository;
  repository.full_name = fullName;
  repository.name = name;
  repository.owner.login = owner;
  repository.html_url = `https://github.com/${fullName}`;
  repository.default_branch = 'main';
  for (const side of ['base', 'head'] as const) {
    const repo = payload.pull_request?.[side]?.repo;
    if (repo) Object.assign(repo, { full_name: fullName, name, default_branch: 'main' });
  }
  return payload;
}

/** A real `pull_request` `opened` payload: from the story's branch, "Closes INT-003". */
export function pullRequestOpened(): Payload {
  const payload = inRepository(githubExample('pull_request', 'opened'));
  const pr = payload.pull_request;
  pr.head.ref = STORY_BRANCH;
  pr.base.ref = 'main';
  pr.title = 'CI/CD integration endpoints';
  pr.body = 'Adds the CI endpoints.\n\nCloses INT-003';
  pr.html_url = `https://github.com/${REPOSITORY}/pull/${pr.number}`;
  pr.draft = false;
  return payload;
}

/** The same pull request, merged (a real `closed` payload with `merged: true`). */
export function pullRequestMerged(): Payload {
  const payload = inRepository(githubExample('pull_request', 'closed'));
  const opened = pullRequestOpened().pull_request;
  Object.assign(payload.pull_request, {
    head: { ...payload.pull_request.head, ref: STORY_BRANCH, sha: opened.head.sha },
    base: { ...payload.pull_request.base, ref: 'main' },
    title: opened.title,
    body: opened.body,
    html_url: opened.html_url,
    merged: true,
    merge_commit_sha: MERGE_SHA,
    state: 'closed',
  });
  return payload;
}

/** A real `push` payload: the merge commit of that pull request landing on main. */
export function pushToMain(): Payload {
  const payload = inRepository(
    githubExample('push', (p) => p.ref === 'refs/heads/master' && p.commits.length === 1),
  );
  payload.ref = 'refs/heads/main';
  payload.created = false;
  payload.before = githubExample('pull_request', 'opened').pull_request.head.sha;
  payload.after = MERGE_SHA;
  const commit = payload.commits[0];
  commit.id = MERGE_SHA;
  commit.message = `Merge pull request #2 from your-org/${STORY_BRANCH}\n\nCloses INT-003`;
  commit.url = `https://github.com/${REPOSITORY}/commit/${MERGE_SHA}`;
  payload.head_commit = { ...commit };
  payload.compare = `https://github.com/${REPOSITORY}/compare/${payload.before.slice(0, 12)}...${MERGE_SHA.slice(0, 12)}`;
  return payload;
}
