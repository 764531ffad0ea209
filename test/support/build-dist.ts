// Vitest globalSetup: the e2e and CLI tests run bin/storyflow → dist/main.js, so dist/ is built
// first whenever a file under src/ is newer than its compiled .js (or has none). The console's
// bundle (dist/console/, which every server needs to start, in-process or not) is rebuilt the
// same way when a file under client/ is newer. Up to date, it
// costs a few hundred stat calls. Several vitest processes may start at once: one builds, under
// a lock directory, the others wait for it and check again. The build goes to a directory of its
// own and each file is then renamed into dist/, so nobody ever reads a half-written module.
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOCK = join(ROOT, '.dist-build.lock');
/** A lock older than this was left by a process that died while building. */
const LOCK_STALE_MS = 5 * 60_000;
const WAIT_LIMIT_MS = 10 * 60_000;

export default function setup(): void {
  ensureDistIsCurrent(ROOT);
}

/** The console bundle's outputs and the client/ sources each is built from. */
const CONSOLE_BUNDLE = [
  { output: 'dist/console/console.js', entry: 'client/console.ts' },
  { output: 'dist/console/console.css', entry: 'client/console.css' },
];

/** Whether dist/console/ is missing or older than a file under client/. */
export function consoleBundleIsStale(root: string): boolean {
  const newestSource = Math.max(
    ...[...walk(join(root, 'client'))].map((file) => statSync(file).mtimeMs),
  );
  return CONSOLE_BUNDLE.some(({ output }) => (mtimeOf(join(root, output)) ?? 0) < newestSource);
}

/** The src/ files whose compiled .js under `dist` is missing or older than them. */
export function staleSources(root: string, dist = join(root, 'dist')): string[] {
  const stale: string[] = [];
  for (const source of walk(join(root, 'src'))) {
    if (!source.endsWith('.ts') || source.endsWith('.d.ts')) continue;
    const output = join(dist, relative(join(root, 'src'), source)).replace(/\.ts$/, '.js');
    const built = mtimeOf(output);
    if (built === undefined || built < statSync(source).mtimeMs) stale.push(source);
  }
  return stale;
}

/** Builds dist/ unless it is current; throws with the compiler's output when it cannot. */
export function ensureDistIsCurrent(root: string): void {
  if (staleSources(root).length === 0 && !consoleBundleIsStale(root)) return;
  const waitedSince = Date.now();
  while (!takeLock()) {
    if (Date.now() - waitedSince > WAIT_LIMIT_MS) {
      throw new Error(`dist/ is out of date and ${LOCK} has been held for 10 minutes`);
    }
    sleep(200);
  }
  try {
    // Another process may have built it while this one waited.
    if (consoleBundleIsStale(root)) buildConsoleBundle(root);
    const stale = staleSources(root);
    if (stale.length === 0) return;
    build(root, stale);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function build(root: string, stale: string[]): void {
  const started = Date.now();
  const staging = join(root, `.dist-build-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', staging],
    { cwd: root, encoding: 'utf8' },
  );
  try {
    // tsc emits even when it reports type errors; what matters here is that dist/ is current.
    const emitted = [...walk(staging)];
    for (const file of emitted) {
      const target = join(root, 'dist', relative(staging, file));
      mkdirSync(dirname(target), { recursive: true });
      renameSync(file, target);
    }
    const missing = staleSources(root);
    if (missing.length > 0) {
      throw new Error(
        `dist/ is older than src/ (${relative(root, stale[0] ?? '')} and ${stale.length - 1} more) ` +
          `and building it failed, so the e2e and CLI tests would run old code. Run ` +
          `\`npm run build\` and fix what it reports:\n${result.stdout}${result.stderr}`,
      );
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const warning = result.status === 0 ? '' : ' (tsc reported errors: run `npm run typecheck`)';
    process.stderr.write(
      `[build-dist] dist/ was older than src/ (${stale.length} file(s)): rebuilt in ${seconds} s${warning}\n`,
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * `npm run build:console`, with the same esbuild options, each file written aside and renamed
 * into place (a server starting meanwhile reads the old bundle or the new one, never half).
 */
function buildConsoleBundle(root: string): void {
  for (const { output, entry } of CONSOLE_BUNDLE) {
    const script = entry.endsWith('.ts');
    const result = buildSync({
      entryPoints: [join(root, entry)],
      minify: true,
      write: false,
      logLevel: 'error',
      ...(script ? { bundle: true, format: 'esm' as const, target: 'es2022' } : {}),
      outfile: join(root, output),
    });
    const text = result.outputFiles[0]?.contents;
    if (text === undefined) throw new Error(`esbuild answered nothing for ${entry}`);
    const target = join(root, output);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(`${target}.${process.pid}`, text);
    renameSync(`${target}.${process.pid}`, target);
  }
  process.stderr.write('[build-dist] dist/console/ was older than client/: rebuilt\n');
}

/** mkdir is atomic: whoever creates the directory holds the lock. A dead holder's lock is taken over. */
function takeLock(): boolean {
  try {
    mkdirSync(LOCK);
    writeFileSync(join(LOCK, 'pid'), String(process.pid));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (lockIsAbandoned()) rmSync(LOCK, { recursive: true, force: true });
  return false;
}

function lockIsAbandoned(): boolean {
  const since = mtimeOf(LOCK);
  if (since === undefined) return false;
  if (Date.now() - since > LOCK_STALE_MS) return true;
  let pid: number;
  try {
    pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
  } catch {
    return false; // being written right now
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function* walk(directory: string): Generator<string> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
