// Stories-as-code benchmark (`npm run bench:sync`, issue #18 point 9): prints figures, asserts
// nothing.
//
// A bare repository (file://) holds `--files` story files (5,000), made from the seed-format
// fixtures in test/fixtures/stories (every one of them, BOM and CR LF ones included) with unique
// ids. The app runs in this process on a loopback port, with its inbox worker and sync runner,
// as `serve` runs them. Per dialect:
//   1. reference, git — a fresh bare mirror: `git fetch` of the branch, `git ls-tree -r` and one
//      `git cat-file --batch` for every blob: what the sync's git side cannot go below;
//   2. reference, import — the same documents through POST /api/v1/stories/import, in requests
//      of 200 (the sync's transaction size) into an empty database;
//   3. first sync — the push webhook for the commit holding every file (202) → the repository's
//      lastSyncedSha is that commit; meanwhile GET /healthz and a signed push webhook (to an
//      untracked branch) are sent every 25 ms, and their latencies compared with the same probes
//      on the idle server before;
//   4. pushes — `--pushes` times, a commit changing `--touched` (10) files is pushed; from the
//      webhook's 202 to the repository synced to it (and the touched stories checked), with the
//      raw `git fetch` + `git diff-tree` of the same push in a second mirror beside it.
//
//   tsx bench/repository-sync.ts [--files 5000] [--touched 10] [--pushes 5]
//                                [--only sqlite,postgres] [--trace]
//
// --trace prints how long each git command and each sync phase took, as they end.
//
// SQLite: a file database in a temporary directory. PostgreSQL: runs when
// STORYFLOW_TEST_POSTGRES_URL is set, in fresh schemas that are dropped afterwards.
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { compose } from '../src/compose.js';
import type { Config } from '../src/config/config.js';
import { loadConfig } from '../src/config/load-config.js';
import { createApp } from '../src/http/create-app.js';
import { GitMirror } from '../src/services/repositories/git-mirror.js';
import { RepositorySyncService } from '../src/services/repositories/repository-sync-service.js';
import { openStore } from '../src/storage/open-store.js';
import type { Store } from '../src/storage/store.js';
import { githubPush } from '../test/support/automation-payloads.js';
import { FIXTURE_STORIES_DIR } from '../test/support/fixture-stories.js';
import { githubSignature } from '../test/support/webhooks.js';

const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const SECRET = 'bench-webhook-secret';
/** The repository githubPush's payloads name (repository.full_name). */
const NAME = 'Codertocat/Hello-World';
const ENCODED = encodeURIComponent(NAME);
const GLOB = 'docs/stories/**/*.md';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '5000' },
    touched: { type: 'string', default: '10' },
    pushes: { type: 'string', default: '5' },
    only: { type: 'string', default: 'sqlite,postgres' },
    trace: { type: 'boolean', default: false },
  },
});
if (values.trace) traceSyncPhases();
const FILES = Number(values.files);
const TOUCHED = Number(values.touched);
const PUSHES = Number(values.pushes);
const ONLY = new Set(values.only.split(','));

/** When the last push webhook was answered (for --trace). */
let lastAcceptedAt = 0;

/** Wraps the mirror's and the sync service's methods to print their durations. */
function traceSyncPhases(): void {
  const wrap = (prototype: object, names: string[]) => {
    for (const name of names) {
      const target = prototype as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const original = target[name] as (...args: unknown[]) => Promise<unknown>;
      target[name] = async function (this: unknown, ...args: unknown[]) {
        const started = performance.now();
        if (name === 'syncLeased')
          console.log(`    trace: sync starts ${ms(started - lastAcceptedAt)} after the 202`);
        try {
          return await original.apply(this, args);
        } finally {
          console.log(`    trace: ${name} ${ms(performance.now() - started)}`);
        }
      };
    }
  };
  wrap(GitMirror.prototype, ['fetchSince', 'listFiles', 'diff', 'readBlobs']);
  wrap(RepositorySyncService.prototype, ['syncLeased']);
}

// ---- the repository -------------------------------------------------------------------------

const GIT_ENV = { PATH: process.env.PATH ?? '', GIT_CONFIG_NOSYSTEM: '1' };
const IDENTITY = ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.com'];
const IDENTITY_MORE = ['-c', 'core.autocrlf=false', '-c', 'commit.gpgsign=false'];

function git(cwd: string, args: string[], input?: string): Buffer {
  return execFileSync('git', [...IDENTITY, ...IDENTITY_MORE, ...args], {
    cwd,
    env: { ...GIT_ENV, HOME: cwd },
    maxBuffer: 1024 * 1024 * 1024,
    ...(input === undefined ? {} : { input }),
  });
}

interface Fixture {
  id: string;
  bytes: Buffer;
}

/** The fixtures' bytes with the frontmatter id (and the body's heading) renamed. */
function fixtures(): Fixture[] {
  return readdirSync(FIXTURE_STORIES_DIR)
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .sort()
    .map((file) => ({
      id: file.replace(/\.md$/, ''),
      bytes: readFileSync(join(FIXTURE_STORIES_DIR, file)),
    }));
}

function storyBytes(template: Fixture, id: string, edit = 0): Buffer {
  let text = template.bytes.toString('utf8');
  text = text.replace(new RegExp(`^(\\uFEFF?id: )${template.id}(?=\\s)`, 'm'), `$1${id}`);
  text = text.replaceAll(template.id, id);
  if (edit > 0) text += `\nEdited in push ${edit}.\n`;
  return Buffer.from(text, 'utf8');
}

interface Repository {
  root: string;
  url: string;
  work: string;
  paths: string[];
  ids: string[];
  documents: Buffer[];
  templates: Fixture[];
  head(): string;
}

function makeRepository(): Repository {
  const root = mkdtempSync(join(tmpdir(), 'storyflow-bench-sync-'));
  const bare = join(root, 'origin.git');
  const work = join(root, 'work');
  mkdirSync(bare);
  mkdirSync(work);
  git(bare, ['init', '--bare', '--quiet', '--initial-branch=main']);
  git(work, ['init', '--quiet', '--initial-branch=main']);
  git(work, ['remote', 'add', 'origin', bare]);
  const templates = fixtures();
  const paths: string[] = [];
  const ids: string[] = [];
  const documents: Buffer[] = [];
  for (let index = 0; index < FILES; index += 1) {
    const template = templates[index % templates.length] as Fixture;
    const id = `BIG-${index + 1}`;
    const path = `docs/stories/area-${index % 50}/${id}.md`;
    const bytes = storyBytes(template, id);
    mkdirSync(join(work, 'docs/stories', `area-${index % 50}`), { recursive: true });
    writeFileSync(join(work, path), bytes);
    paths.push(path);
    ids.push(id);
    documents.push(bytes);
  }
  writeFileSync(join(work, 'README.md'), '# a repository with story files\n');
  git(work, ['add', '--all']);
  git(work, ['commit', '--quiet', '-m', `${FILES} stories`]);
  git(work, ['push', '--quiet', 'origin', 'main']);
  return {
    root,
    url: pathToFileURL(bare).href,
    work,
    paths,
    ids,
    documents,
    templates,
    head: () => git(work, ['rev-parse', 'HEAD']).toString('utf8').trim(),
  };
}

// ---- the references -------------------------------------------------------------------------

/** A fresh mirror: fetch, ls-tree, one cat-file --batch of every blob (ms). */
function rawGitFirstSync(repo: Repository, mirror: string): number {
  const started = performance.now();
  mkdirSync(mirror, { recursive: true });
  git(mirror, ['init', '--bare', '--quiet']);
  git(mirror, ['fetch', '--quiet', '--no-tags', repo.url, '+refs/heads/main:refs/heads/main']);
  const listing = git(mirror, ['ls-tree', '-r', '-z', '--full-tree', 'main']).toString('utf8');
  const blobs = listing
    .split('\0')
    .filter((record) => record.includes(' blob '))
    .map((record) => record.split(' ')[2]?.split('\t')[0] as string);
  git(mirror, ['cat-file', '--batch'], `${blobs.join('\n')}\n`);
  return performance.now() - started;
}

/** An existing mirror: fetch of one push and the diff of the trees (ms). */
function rawGitPush(repo: Repository, mirror: string): number {
  const started = performance.now();
  const before = git(mirror, ['rev-parse', 'main']).toString('utf8').trim();
  git(mirror, ['fetch', '--quiet', '--no-tags', repo.url, '+refs/heads/main:refs/heads/main']);
  git(mirror, ['diff-tree', '-r', '-M', '--raw', '-z', before, 'main', '--']);
  return performance.now() - started;
}

// ---- storyflow ------------------------------------------------------------------------------

interface Server {
  url: string;
  close(): Promise<void>;
}

async function startServer(store: Store, repo: Repository | null, mirrors: string) {
  const base = loadConfig({
    env: { STORYFLOW_ADMIN_TOKEN: ADMIN_TOKEN, STORYFLOW_GITHUB_WEBHOOK_SECRET: SECRET },
    cwd: '/nonexistent',
  });
  const config: Config = {
    ...base,
    rateLimits: {
      perToken: { limit: 1_000_000, windowMs: 60_000 },
      perAddress: { limit: 1_000_000, windowMs: 60_000 },
      authFailures: { limit: 30, windowMs: 60_000 },
      webhookRefusals: { limit: 60, windowMs: 60_000 },
    },
    repositories:
      repo === null
        ? []
        : [
            {
              name: NAME,
              provider: 'github',
              url: repo.url,
              branch: 'main',
              stories: GLOB,
              writeBack: 'off',
              onDelete: 'keep',
              credentials: { kind: 'none' },
            },
          ],
    git: { mirrorDir: mirrors, env: GIT_ENV },
  };
  const logger = pino({ level: 'silent' });
  const composition = await compose({ config, logger, store, threads: false });
  const app = await createApp({ config, logger, services: composition.services });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  await composition.start();
  return {
    url,
    async close() {
      await app.close();
      await composition.close();
    },
  } satisfies Server;
}

async function api(server: Server, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text.length === 0 ? null : JSON.parse(text);
}

async function postPush(server: Server, payload: unknown): Promise<number> {
  const body = JSON.stringify(payload);
  const response = await fetch(`${server.url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/bench',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': githubSignature(body, SECRET),
    },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

function pushPayload(before: string | null, after: string, branch = 'main') {
  const payload = githubPush(branch, [{ id: after, message: 'stories' }]);
  payload.before = before ?? '0'.repeat(40);
  return payload;
}

/** Waits until the repository is synced to `sha`; answers when (performance.now()). */
async function syncedTo(server: Server, sha: string, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const status = await api(server, 'GET', `/repositories/${ENCODED}`);
    if (status.lastSyncedSha === sha) return performance.now();
    if (status.lastError !== null) throw new Error(`sync failed: ${status.lastError}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`not synced to ${sha} within ${timeoutMs} ms`);
}

/** Waits until the inbox holds no delivery waiting (storyflow_inbox_backlog on /metrics). */
async function inboxDrained(server: Server, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const backlog = /^storyflow_inbox_backlog (\d+)/m.exec(metrics)?.[1];
    if (backlog === '0') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the inbox was not drained within ${timeoutMs} ms`);
}

interface Probes {
  healthz: number[];
  webhook: number[];
}

/** GET /healthz and a push webhook to an untracked branch every 25 ms until stopped. */
function probe(server: Server): { stop(): Promise<Probes> } {
  const probes: Probes = { healthz: [], webhook: [] };
  let running = true;
  const loop = (async () => {
    while (running) {
      const tick = performance.now();
      const healthz = (async () => {
        const started = performance.now();
        await (await fetch(`${server.url}/healthz`)).arrayBuffer();
        probes.healthz.push(performance.now() - started);
      })();
      const webhook = (async () => {
        const started = performance.now();
        const sha = randomBytes(20).toString('hex');
        const status = await postPush(server, pushPayload(null, sha, 'probe-branch'));
        if (status !== 202) throw new Error(`probe webhook answered ${status}`);
        probes.webhook.push(performance.now() - started);
      })();
      await Promise.all([healthz, webhook]);
      const wait = 25 - (performance.now() - tick);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return probes;
    },
  };
}

// ---- figures --------------------------------------------------------------------------------

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
};
const ms = (value: number) => `${value.toFixed(value < 100 ? 1 : 0)} ms`;
const latencies = (values: number[]) =>
  `n ${values.length}, p50 ${ms(quantile(values, 0.5))}, p99 ${ms(quantile(values, 0.99))}, ` +
  `max ${ms(quantile(values, 1))}`;
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');

async function measure(dialect: string, open: (purpose: string) => Promise<Store>) {
  console.log(`\n${dialect}: ${FILES} story files, load average ${load()}`);
  const repo = makeRepository();
  const mirrors = join(repo.root, 'mirrors');
  try {
    // 1. git alone.
    const rawFirst = rawGitFirstSync(repo, join(repo.root, 'raw-mirror.git'));
    console.log(
      `  reference, git: fetch + ls-tree + cat-file --batch of ${FILES}: ${ms(rawFirst)}`,
    );

    // 2. The same documents through the import API.
    const importStore = await open('import');
    const importServer = await startServer(importStore, null, mirrors);
    let imported: number;
    try {
      const started = performance.now();
      for (let start = 0; start < FILES; start += 200) {
        const documents = repo.documents.slice(start, start + 200).map((bytes) => bytes.toString());
        await api(importServer, 'POST', '/stories/import', { documents });
      }
      imported = performance.now() - started;
    } finally {
      await importServer.close();
      await importStore.close();
    }
    console.log(
      `  reference, import: POST /stories/import of ${FILES} (200 a request): ${ms(imported)}`,
    );

    // 3. The first sync, with intake probed while it runs.
    const store = await open('sync');
    const server = await startServer(store, repo, mirrors);
    try {
      const idle = probe(server);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const idleProbes = await idle.stop();
      const head = repo.head();
      const busy = probe(server);
      const status = await postPush(server, pushPayload(null, head));
      if (status !== 202) throw new Error(`the push webhook answered ${status}`);
      const accepted = performance.now();
      lastAcceptedAt = accepted;
      const done = await syncedTo(server, head, 600_000);
      const busyProbes = await busy.stop();
      const first = done - accepted;
      const bound = (await api(server, 'GET', `/repositories/${ENCODED}`)).stories;
      console.log(
        `  first sync: push webhook 202 → ${bound} stories synced: ${ms(first)} ` +
          `(${(first / rawFirst).toFixed(1)}× git alone, ${(first / imported).toFixed(2)}× the import; target < 30 s)`,
      );
      console.log(`  intake, idle:        healthz ${latencies(idleProbes.healthz)}`);
      console.log(`                       webhook ${latencies(idleProbes.webhook)}`);
      console.log(`  intake, during sync: healthz ${latencies(busyProbes.healthz)}`);
      console.log(`                       webhook ${latencies(busyProbes.webhook)}`);

      // 4. Pushes touching a few files, once the probes' deliveries are processed (else each
      // push would wait behind them in the inbox).
      await inboxDrained(server, 600_000);
      const times: number[] = [];
      const raws: number[] = [];
      for (let push = 1; push <= PUSHES; push += 1) {
        const before = repo.head();
        const touched: number[] = [];
        for (let k = 0; k < TOUCHED; k += 1) touched.push((push * 997 + k * 491) % FILES);
        for (const index of touched) {
          const template = repo.templates[index % repo.templates.length] as Fixture;
          writeFileSync(
            join(repo.work, repo.paths[index] as string),
            storyBytes(template, repo.ids[index] as string, push),
          );
        }
        git(repo.work, ['commit', '--quiet', '-a', '-m', `edit ${TOUCHED} stories`]);
        git(repo.work, ['push', '--quiet', 'origin', 'main']);
        const after = repo.head();
        raws.push(rawGitPush(repo, join(repo.root, 'raw-mirror.git')));
        const status = await postPush(server, pushPayload(before, after));
        const acceptedAt = performance.now();
        lastAcceptedAt = acceptedAt;
        if (status !== 202) throw new Error(`the push webhook answered ${status}`);
        const syncedAt = await syncedTo(server, after, 60_000);
        times.push(syncedAt - acceptedAt);
        for (const index of touched) {
          const document = await fetch(`${server.url}/api/v1/stories/${repo.ids[index]}.md`, {
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          });
          if (!(await document.text()).endsWith(`Edited in push ${push}.\n`)) {
            throw new Error(`${repo.ids[index]} was not updated by push ${push}`);
          }
        }
      }
      console.log(
        `  push of ${TOUCHED} changed files, 202 → synced, ${PUSHES} pushes: ` +
          `median ${ms(quantile(times, 0.5))}, max ${ms(quantile(times, 1))} ` +
          `(reference, git fetch + diff-tree: median ${ms(quantile(raws, 0.5))}; target < 1 s)`,
      );
    } finally {
      await server.close();
      await store.close();
    }
  } finally {
    rmSync(repo.root, { recursive: true, force: true });
  }
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const gitVersion = execFileSync('git', ['--version']).toString('utf8').trim();
console.log(`node ${process.version}, ${gitVersion}, ${cpus().length} × ${cpu}`);

if (ONLY.has('sqlite')) {
  const dir = mkdtempSync(join(tmpdir(), 'storyflow-bench-sync-db-'));
  try {
    await measure('sqlite', (purpose) => openStore(`sqlite:${join(dir, `${purpose}.db`)}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const postgresUrl = process.env.STORYFLOW_TEST_POSTGRES_URL?.trim();
if (ONLY.has('postgres')) {
  if (!postgresUrl) {
    console.log('\npostgres skipped: set STORYFLOW_TEST_POSTGRES_URL=postgres://… to run it');
  } else {
    const schemas: string[] = [];
    try {
      await measure('postgres', (purpose) => {
        const schema = `bench_sync_${purpose}_${process.pid}_${randomBytes(4).toString('hex')}`;
        schemas.push(schema);
        return openStore(postgresUrl, { schema });
      });
    } finally {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
  }
}
