// Runs the system `git` without a shell: arguments are never parsed by one, and the environment
// is exactly the one given (config.git.env plus credentials), never storyflow's own.
import { execFile } from 'node:child_process';

export interface GitRun {
  env: Readonly<Record<string, string>>;
  cwd?: string;
  input?: Buffer | string;
}

/** git failed: its exit code and the last lines of its stderr (which never hold a credential). */
export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    const said = stderr.trim().split('\n').slice(-3).join(' ').slice(0, 500);
    super(`git ${args[0] ?? ''} failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${said}`);
    this.name = 'GitError';
  }
}

/** `git …args`: its stdout as bytes. */
export function runGit(args: readonly string[], options: GitRun): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      {
        env: options.env,
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        encoding: 'buffer',
        maxBuffer: 1024 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout);
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          reject(new GitError(args, null, 'git is not installed (not found on PATH)'));
          return;
        }
        reject(new GitError(args, typeof code === 'number' ? code : null, stderr.toString()));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
