// The real server as a child process (bin/storyflow serve), for end-to-end tests that kill it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

/** The built executable (run `npm run build` first); defined here so no src/ module loads. */
const BIN = fileURLToPath(new URL('../../bin/storyflow', import.meta.url));

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface ServerProcess {
  name: string;
  child: ChildProcess;
  baseUrl: string;
  /** Everything the process wrote (stdout and stderr, tail kept). */
  output(): string;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the process has exited. */
  readonly gone: boolean;
  /** Sends SIGKILL and waits until the process is gone. */
  kill9(): Promise<void>;
  /** Sends SIGTERM (SIGKILL after `graceMs`) and waits until the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const OUTPUT_TAIL = 200_000;

export interface StartServerProcessOptions {
  name: string;
  cwd: string;
  port: number;
  /** STORYFLOW_* variables (PATH is added). */
  env: Record<string, string>;
  /** How long to wait for /readyz (default 20 s). */
  readyTimeoutMs?: number;
  /** Resolve at once, without waiting for /readyz (default false); see waitUntilReady. */
  noWait?: boolean;
  /**
   * Run under `ulimit -f` (RLIMIT_FSIZE, in KiB): no file the process writes grows past it. Node
   * ignores SIGXFSZ, so such a write fails with EFBIG, as on a full disk.
   */
  fileSizeLimitKb?: number;
}

/** `serve` as a user runs it: a SQLite file in `dir`, an admin token, quiet logs. */
export function sqliteServeEnv(dir: string, adminToken: string): Record<string, string> {
  return {
    STORYFLOW_DATABASE_URL: `sqlite:${join(dir, 'storyflow.db')}`,
    STORYFLOW_ADMIN_TOKEN: adminToken,
    STORYFLOW_LOG_LEVEL: 'warn',
  };
}

/** Spawns `bin/storyflow serve` and resolves once /readyz answers 200. */
export async function startServerProcess(
  options: StartServerProcessOptions,
  track: ServerProcess[] = [],
): Promise<ServerProcess> {
  const command =
    options.fileSizeLimitKb === undefined
      ? [process.execPath, BIN, 'serve']
      : [
          'bash',
          '-c',
          'ulimit -f "$1" && shift && exec "$@"',
          'bash',
          String(options.fileSizeLimitKb),
          process.execPath,
          BIN,
          'serve',
        ];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? '',
      STORYFLOW_HOST: '127.0.0.1',
      STORYFLOW_PORT: String(options.port),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > OUTPUT_TAIL) output = output.slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let gone = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      gone = true;
      resolve({ code, signal });
    });
  });
  const baseUrl = `http://127.0.0.1:${options.port}`;
  const server: ServerProcess = {
    name: options.name,
    child,
    baseUrl,
    output: () => output,
    exited,
    get gone() {
      return gone;
    },
    async kill9() {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 10_000) {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!gone) child.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  track.push(server);
  if (options.noWait) return server;
  await waitUntilReady(server, options.readyTimeoutMs);
  return server;
}

/** Resolves once /readyz answers 200; kills the process when it does not in time. */
export async function waitUntilReady(server: ServerProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.gone) {
      throw new Error(
        `${server.name} exited before it was ready:\n${server.output().slice(-4000)}`,
      );
    }
    const ready = await fetch(`${server.baseUrl}/readyz`, {
      signal: AbortSignal.timeout(1000),
    }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) return;
    await sleep(50);
  }
  await server.kill9();
  throw new Error(
    `${server.name} was not ready in ${timeoutMs} ms:\n${server.output().slice(-4000)}`,
  );
}

/** Kills every tracked process that is still running (for afterEach). */
export async function killAll(track: ServerProcess[]): Promise<void> {
  await Promise.all(track.map((server) => server.kill9()));
  track.length = 0;
}

/**
 * For a describe block of end-to-end tests: the server processes to track (killed after each
 * test) and fresh temporary folders (removed after each test).
 */
export function useServerProcesses(): {
  processes: ServerProcess[];
  tempDir(prefix: string): string;
} {
  const processes: ServerProcess[] = [];
  const directories: string[] = [];
  afterEach(async () => {
    await killAll(processes);
    for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    processes,
    tempDir: (prefix) => {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      directories.push(dir);
      return dir;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The sum of a Prometheus counter's samples whose labels include every given label. */
export async function readCounter(
  baseUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await fetch(`${baseUrl}/metrics`).then((response) => response.text());
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([key, value]) =>
      line.includes(`${key}="${value}"`),
    );
    if (!matches) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
