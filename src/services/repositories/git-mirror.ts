// One configured repository's bare mirror under config.git.mirrorDir: fetches the tracked branch
// and reads trees, diffs and blobs from it with the system git. Credentials reach git through
// its environment only (GIT_ASKPASS for a token, GIT_SSH_COMMAND for a key): never an argument,
// a log line, or a remote URL written to disk (the URL is passed to each fetch, not stored).
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config, RepositoryConfig } from '../../config/config.js';
import { GitError, runGit } from './run-git.js';

/** A file of a tree: its path and blob. */
export interface TreeFile {
  path: string;
  blobSha: string;
}

/** One entry of `git diff-tree -r -M --raw`. */
export interface TreeChange {
  /** A added, M modified, D deleted, R renamed (T type change counts as M). */
  status: 'A' | 'M' | 'D' | 'R';
  path: string;
  /** The path before a rename. */
  previousPath?: string;
  /** The blob after the change (the zero id for a deletion). */
  blobSha: string;
}

/** Answers the askpass prompts from the variable git inherits; the script holds no secret. */
const ASKPASS_SCRIPT =
  '#!/bin/sh\n' +
  'case "$1" in\n' +
  '  Username*) echo x-access-token ;;\n' +
  '  *) printf \'%s\\n\' "$STORYFLOW_GIT_TOKEN" ;;\n' +
  'esac\n';

export class GitMirror {
  readonly dir: string;

  constructor(
    private readonly repository: RepositoryConfig,
    private readonly git: Config['git'],
  ) {
    this.dir = join(git.mirrorDir, `${encodeURIComponent(repository.name)}.git`);
  }

  /** The branch to follow: the configured one, else the remote's default branch (its HEAD). */
  async trackedBranch(): Promise<string> {
    if (this.repository.branch !== null) return this.repository.branch;
    const output = (
      await this.run(['ls-remote', '--symref', '--', this.repository.url, 'HEAD'])
    ).toString('utf8');
    const match = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(output);
    if (match === null)
      throw new Error(`${this.repository.name}: the remote names no default branch`);
    return match[1] as string;
  }

  /** Fetches the branch into the mirror (force: a force push moves it back); answers its head. */
  async fetch(branch: string): Promise<string> {
    return (await this.fetchSince(branch, null)).head;
  }

  /**
   * Fetches the branch and answers its head, and whether the mirror holds `since` (the commit
   * synced last: a re-created mirror may not). One `git fetch` and one `git cat-file`: on a push
   * of a few files, the git processes are most of the time a sync takes.
   */
  async fetchSince(
    branch: string,
    since: string | null,
  ): Promise<{ head: string; hasSince: boolean }> {
    await this.ensure();
    const ref = `refs/heads/${branch}`;
    await this.run(
      [
        'fetch',
        '--quiet',
        '--no-tags',
        '--no-write-fetch-head',
        // No `maintenance --auto` after each push's fetch, and no walk looking for forced
        // updates (the refspec forces anyway): both cost more than the fetch itself.
        '--no-auto-maintenance',
        '--no-show-forced-updates',
        '--',
        this.repository.url,
        `+${ref}:${ref}`,
      ],
      this.dir,
    );
    const names = [`${ref}^{commit}`, ...(since === null ? [] : [`${since}^{commit}`])];
    const answers = (
      await this.run(
        ['cat-file', '--batch-check=%(objectname) %(objecttype)'],
        this.dir,
        `${names.join('\n')}\n`,
      )
    )
      .toString('utf8')
      .split('\n');
    const [head, type] = (answers[0] ?? '').split(' ');
    if (type !== 'commit' || head === undefined) {
      throw new Error(`${this.repository.name}: ${ref} is not in the mirror after the fetch`);
    }
    return { head, hasSince: since !== null && (answers[1] ?? '').endsWith(' commit') };
  }

  /** Every file of the commit's tree. */
  async listFiles(sha: string): Promise<TreeFile[]> {
    const output = await this.run(['ls-tree', '-r', '-z', '--full-tree', sha], this.dir);
    const files: TreeFile[] = [];
    for (const record of splitNul(output)) {
      const tab = record.indexOf('\t');
      const [, type, blobSha] = record.slice(0, tab).split(' ');
      if (type === 'blob' && blobSha !== undefined) {
        files.push({ path: record.slice(tab + 1), blobSha });
      }
    }
    return files;
  }

  /** What changed between two commits' trees, renames followed. */
  async diff(before: string, after: string): Promise<TreeChange[]> {
    const fields = splitNul(
      await this.run(
        ['diff-tree', '-r', '-M', '--raw', '-z', '--no-commit-id', before, after, '--'],
        this.dir,
      ),
    );
    const changes: TreeChange[] = [];
    for (let index = 0; index < fields.length; ) {
      const header = fields[index] as string;
      const [, , , blobSha, status] = header.slice(1).split(' ');
      const kind = (status ?? '').charAt(0);
      if (kind === 'R' || kind === 'C') {
        const previousPath = fields[index + 1] as string;
        const path = fields[index + 2] as string;
        index += 3;
        if (kind === 'C') changes.push({ status: 'A', path, blobSha: blobSha as string });
        else changes.push({ status: 'R', path, previousPath, blobSha: blobSha as string });
        continue;
      }
      const path = fields[index + 1] as string;
      index += 2;
      const mapped = kind === 'A' || kind === 'D' ? kind : 'M';
      changes.push({ status: mapped, path, blobSha: blobSha as string });
    }
    return changes;
  }

  /** The messages of the commits reachable from `to` and not from `from`, oldest first. */
  async messages(from: string, to: string): Promise<string[]> {
    const output = await this.run(
      ['log', '--reverse', '--format=%B%x00', `${from}..${to}`, '--'],
      this.dir,
    );
    return splitNul(output)
      .map((message) => message.trim())
      .filter((message) => message !== '');
  }

  /**
   * The bytes of these blobs, by id (one `git cat-file --batch`). A blob the mirror does not
   * hold is an error, or left out with `skipMissing`.
   */
  async readBlobs(
    shas: readonly string[],
    options: { skipMissing?: boolean } = {},
  ): Promise<Map<string, Buffer>> {
    const blobs = new Map<string, Buffer>();
    if (shas.length === 0) return blobs;
    const output = await this.run(['cat-file', '--batch'], this.dir, `${shas.join('\n')}\n`);
    let offset = 0;
    while (offset < output.length) {
      const newline = output.indexOf(0x0a, offset);
      const header = output.subarray(offset, newline).toString('utf8');
      const [sha, type, size] = header.split(' ');
      if (type === 'missing' && options.skipMissing === true) {
        offset = newline + 1;
        continue;
      }
      if (type === 'missing' || size === undefined) {
        throw new Error(`${this.repository.name}: blob ${sha} is missing from the mirror`);
      }
      const start = newline + 1;
      const end = start + Number(size);
      blobs.set(sha as string, output.subarray(start, end));
      offset = end + 1;
    }
    return blobs;
  }

  /** The files at these paths in a commit's tree (a path not there is left out). */
  async filesAt(
    sha: string,
    paths: readonly string[],
  ): Promise<Map<string, TreeFile & { mode: string }>> {
    const files = new Map<string, TreeFile & { mode: string }>();
    if (paths.length === 0) return files;
    const output = await this.run(['ls-tree', '-z', '--full-tree', sha, '--', ...paths], this.dir);
    for (const record of splitNul(output)) {
      const tab = record.indexOf('\t');
      const [mode, type, blobSha] = record.slice(0, tab).split(' ');
      const path = record.slice(tab + 1);
      if (type === 'blob' && blobSha !== undefined && mode !== undefined)
        files.set(path, { path, blobSha, mode });
    }
    return files;
  }

  /** Stores bytes as a blob in the mirror (`git hash-object -w`); answers its id. */
  async writeBlob(bytes: Buffer): Promise<string> {
    await this.ensure();
    return (await this.run(['hash-object', '-w', '--stdin'], this.dir, bytes))
      .toString('utf8')
      .trim();
  }

  /**
   * A commit on `parent` whose tree is the parent's with these files replaced, built with the
   * plumbing in the bare mirror (a temporary index, no working tree); answers its id.
   */
  async commitFiles(commit: {
    parent: string;
    files: readonly { path: string; blobSha: string; mode: string }[];
    message: string;
    author: { name: string; email: string };
    at: Date;
  }): Promise<string> {
    const scratch = await mkdtemp(join(tmpdir(), 'storyflow-index-'));
    const seconds = Math.floor(commit.at.getTime() / 1000);
    const identity = {
      GIT_INDEX_FILE: join(scratch, 'index'),
      GIT_AUTHOR_NAME: commit.author.name,
      GIT_AUTHOR_EMAIL: commit.author.email,
      GIT_AUTHOR_DATE: `${seconds} +0000`,
      GIT_COMMITTER_NAME: commit.author.name,
      GIT_COMMITTER_EMAIL: commit.author.email,
      GIT_COMMITTER_DATE: `${seconds} +0000`,
    };
    try {
      await this.run(['read-tree', commit.parent], this.dir, undefined, identity);
      const entries = commit.files.map((file) => `${file.mode} ${file.blobSha}\t${file.path}`);
      await this.run(
        ['update-index', '-z', '--index-info'],
        this.dir,
        `${entries.join('\0')}\0`,
        identity,
      );
      const tree = (await this.run(['write-tree'], this.dir, undefined, identity))
        .toString('utf8')
        .trim();
      return (
        await this.run(
          ['commit-tree', tree, '-p', commit.parent, '-F', '-'],
          this.dir,
          commit.message,
          identity,
        )
      )
        .toString('utf8')
        .trim();
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /**
   * Pushes a commit to a branch of the remote. `expected`: the remote branch must be at this
   * commit (null: must not exist), else the push is refused (`--force-with-lease`); without it,
   * only a fast-forward is pushed. Answers 'rejected' when the remote moved meanwhile.
   */
  async push(
    sha: string,
    branch: string,
    expected?: string | null,
  ): Promise<'pushed' | 'rejected'> {
    const ref = `refs/heads/${branch}`;
    const lease = expected === undefined ? [] : [`--force-with-lease=${ref}:${expected ?? ''}`];
    try {
      await this.run(
        ['push', '--quiet', '--no-verify', ...lease, '--', this.repository.url, `${sha}:${ref}`],
        this.dir,
      );
      return 'pushed';
    } catch (error) {
      if (
        error instanceof GitError &&
        /\[rejected\]|non-fast-forward|fetch first|stale info/.test(error.stderr)
      )
        return 'rejected';
      throw error;
    }
  }

  /** A branch of the remote: its head, or null when it does not exist. */
  async fetchOptional(branch: string): Promise<string | null> {
    await this.ensure();
    const output = (
      await this.run(
        ['ls-remote', '--heads', '--', this.repository.url, `refs/heads/${branch}`],
        this.dir,
      )
    ).toString('utf8');
    if (output.trim() === '') return null;
    return this.fetch(branch);
  }

  /** Whether `ancestor` is `descendant` or one of its ancestors. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    try {
      await this.run(['merge-base', '--is-ancestor', ancestor, descendant], this.dir);
      return true;
    } catch (error) {
      if (error instanceof GitError && error.exitCode === 1) return false;
      throw error;
    }
  }

  private async ensure(): Promise<void> {
    if (existsSync(join(this.dir, 'HEAD'))) return;
    await mkdir(this.dir, { recursive: true });
    await this.run(['init', '--bare', '--quiet', this.dir]);
  }

  private async run(
    args: string[],
    cwd?: string,
    input?: string | Buffer,
    extraEnv: Record<string, string> = {},
  ): Promise<Buffer> {
    return runGit(args, {
      env: { ...(await this.environment()), ...extraEnv },
      ...(cwd === undefined ? {} : { cwd }),
      ...(input === undefined ? {} : { input }),
    });
  }

  private async environment(): Promise<Record<string, string>> {
    const env: Record<string, string> = {
      ...this.git.env,
      // Never wait for someone to type a password: a missing credential is an error.
      GIT_TERMINAL_PROMPT: '0',
    };
    const { credentials } = this.repository;
    if (credentials.kind === 'token') {
      env.GIT_ASKPASS = await this.askpassScript();
      env.STORYFLOW_GIT_TOKEN = credentials.token;
    } else if (credentials.kind === 'ssh') {
      env.GIT_SSH_COMMAND = `ssh -i ${shellQuote(credentials.keyFile)} -o IdentitiesOnly=yes -o BatchMode=yes`;
    }
    return env;
  }

  private async askpassScript(): Promise<string> {
    const path = join(this.git.mirrorDir, 'storyflow-askpass.sh');
    if (!existsSync(path)) {
      await mkdir(this.git.mirrorDir, { recursive: true });
      await writeFile(path, ASKPASS_SCRIPT, { mode: 0o700 });
      await chmod(path, 0o700);
    }
    return path;
  }
}

function splitNul(output: Buffer): string[] {
  const text = output.toString('utf8');
  const fields = text.split('\0');
  if (fields[fields.length - 1] === '') fields.pop();
  return fields;
}

/** GIT_SSH_COMMAND is run by a shell: the key's path goes in single quotes. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
