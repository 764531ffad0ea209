// Real git repositories for the stories-as-code tests: a bare repository in a temp dir (served
// over file://) and a working clone whose commits and pushes are made with the git command.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface GitRepository {
  /** The temp dir holding everything (the bare repository, the clone, storyflow's mirrors). */
  root: string;
  /** file:// URL of the bare repository. */
  url: string;
  branch: string;
  write(path: string, bytes: string | Buffer): void;
  remove(path: string): void;
  move(from: string, to: string): void;
  /** Commits everything in the working tree; answers the commit id. */
  commit(message: string): string;
  /** Pushes the branch (force: a rewritten history); answers the pushed commit id. */
  push(options?: { force?: boolean }): string;
  /** The commit the bare repository's branch points at. */
  head(): string;
  /** Brings the working clone to the bare repository's branch (after storyflow pushed to it). */
  pull(): void;
  /** `git …args` in the bare repository (log, show, diff of what storyflow pushed). */
  gitBare(...args: string[]): string;
  /** The bare repository's directory (for its hooks). */
  bare: string;
  /** Moves the working branch back (a rewrite to force-push). */
  resetHard(sha: string): void;
  cleanup(): void;
}

const IDENTITY = [
  '-c',
  'user.name=Test Person',
  '-c',
  'user.email=person@example.com',
  '-c',
  'core.autocrlf=false',
  '-c',
  'init.defaultBranch=main',
  '-c',
  'commit.gpgsign=false',
];

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...IDENTITY, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();
}

export function createGitRepository(branch = 'main'): GitRepository {
  const root = mkdtempSync(join(tmpdir(), 'storyflow-git-'));
  const bare = join(root, 'origin.git');
  const work = join(root, 'work');
  mkdirSync(bare);
  git(bare, 'init', '--bare', '--quiet', `--initial-branch=${branch}`);
  mkdirSync(work);
  git(work, 'init', '--quiet', `--initial-branch=${branch}`);
  git(work, 'remote', 'add', 'origin', bare);
  return {
    root,
    url: pathToFileURL(bare).href,
    branch,
    write(path, bytes) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), bytes);
    },
    remove(path) {
      rmSync(join(work, path));
    },
    move(from, to) {
      mkdirSync(dirname(join(work, to)), { recursive: true });
      renameSync(join(work, from), join(work, to));
    },
    commit(message) {
      git(work, 'add', '--all');
      git(work, 'commit', '--quiet', '--allow-empty', '-m', message);
      return git(work, 'rev-parse', 'HEAD');
    },
    push(options = {}) {
      git(work, 'push', '--quiet', ...(options.force ? ['--force'] : []), 'origin', branch);
      return git(work, 'rev-parse', 'HEAD');
    },
    head() {
      return git(bare, 'rev-parse', branch);
    },
    pull() {
      git(work, 'pull', '--quiet', '--rebase', 'origin', branch);
    },
    gitBare(...args) {
      return git(bare, ...args);
    },
    bare,
    resetHard(sha) {
      git(work, 'reset', '--quiet', '--hard', sha);
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
