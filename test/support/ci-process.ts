// Runs one child process of an emulated CI job (a shell step, the action, the client) and
// collects its output. Asynchronous, so a server in the test's own process keeps answering.
import { spawn } from 'node:child_process';

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time, ms. */
  ms: number;
}

export function runProcess(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<ProcessRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The variables every emulated job starts from: a PATH with node, bash and curl, and a HOME. */
export function baseEnv(home: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' };
}

/**
 * A script line that stands for the user's own command (`echo "Your build … runs here"`) and
 * that a test wants to fail: it is replaced by one that exits 1.
 */
export function failing(script: string, fail: RegExp | undefined): string {
  if (fail === undefined || !fail.test(script)) return script;
  return 'echo "(emulated) this command fails" >&2; exit 1';
}
