// A PostgreSQL cluster of the test's own (initdb + pg_ctl in a temporary folder, on a free
// loopback port), for tests that stop and restart the database server under a running storyflow.
// initdb and postgres refuse to run as root: as root (CI), every command runs as the `postgres`
// user through runuser, in a folder owned by that user.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './server-process.js';

const run = promisify(execFile);

/** Overrides where initdb, pg_ctl and postgres are looked for. */
export const POSTGRES_BIN_VARIABLE = 'STORYFLOW_TEST_POSTGRES_BIN';

/** The folder with initdb and pg_ctl: $STORYFLOW_TEST_POSTGRES_BIN, else the newest Debian one. */
export function postgresBinDir(): string | undefined {
  const configured = process.env[POSTGRES_BIN_VARIABLE]?.trim();
  const candidates = configured
    ? [configured]
    : listVersions('/usr/lib/postgresql').map((version) => `/usr/lib/postgresql/${version}/bin`);
  return candidates.find(
    (dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')),
  );
}

function listVersions(root: string): string[] {
  try {
    return readdirSync(root)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    return [];
  }
}

interface RunAs {
  /** The command line prefix: [] or ['runuser', '-u', 'postgres', '--']. */
  prefix: string[];
  uid?: number;
  gid?: number;
}

async function runAs(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return { prefix: [] };
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  return { prefix: ['runuser', '-u', 'postgres', '--'], uid, gid };
}

/**
 * Why a cluster cannot be started here (for a visible skip), or undefined when it can. Checks
 * the binaries, and as root the `postgres` user and runuser.
 */
export async function postgresClusterUnavailable(): Promise<string | undefined> {
  const bin = postgresBinDir();
  if (bin === undefined) {
    return `no initdb/pg_ctl in /usr/lib/postgresql/*/bin (install PostgreSQL's server binaries or set ${POSTGRES_BIN_VARIABLE})`;
  }
  if (process.getuid?.() === 0) {
    try {
      await run('id', ['-u', 'postgres']);
      await run('runuser', ['--version']);
    } catch {
      return 'running as root, and initdb refuses root: a `postgres` user and runuser are needed';
    }
  }
  return undefined;
}

export interface PostgresCluster {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** `pg_ctl stop -m <mode>`: fast ends every session; immediate is a crash (recovery at start). */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  /** `pg_ctl start`, waiting until it accepts connections. */
  start(): Promise<void>;
  /** The server's log, for failure messages. */
  log(): string;
  /** Stops the server (immediately) and removes its folder. */
  destroy(): Promise<void>;
}

/** initdb in a fresh temporary folder, then starts the server on a free port. */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error((await postgresClusterUnavailable()) ?? 'no PostgreSQL');
  const user = await runAs();
  const dir = mkdtempSync(join(tmpdir(), 'storyflow-pg-'));
  if (user.uid !== undefined && user.gid !== undefined) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const port = await freePort();
  const pgCommand = async (tool: string, args: string[]) => {
    const [command, ...rest] = [...user.prefix, join(bin, tool), ...args];
    await run(command!, rest, { timeout: 60_000 });
  };
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    // A test cluster: no fsync (a stop, even `immediate`, is not a power cut).
    '-c fsync=off',
    '-c full_page_writes=off',
  ].join(' ');
  const cluster: PostgresCluster = {
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop: (mode) => pgCommand('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']),
    start: () =>
      pgCommand('pg_ctl', ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '30', 'start']),
    log: () => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
    async destroy() {
      await pgCommand('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await pgCommand('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    await cluster.start();
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return cluster;
}
