// Webhook ingestion benchmark (`npm run bench:ingest`): prints figures, asserts nothing.
//
// Five servers, each a child process, take the same signed GitHub `push` delivery from
// autocannon (32 connections, pipelining 1, a fixed duration, a fresh X-GitHub-Delivery per
// request):
//   1. ceiling   — node:http that reads the body, checks the HMAC and answers 202;
//   2. octokit   — @octokit/webhooks' createNodeMiddleware (verifies and parses, stores nothing);
//   3. append    — node:http, HMAC, duplicates from memory, and a writer thread that checks the
//                  bodies are JSON and appends each batch to a flat file with one fdatasync: the
//                  least that stores before answering, with no database at all;
//   4. durable   — node:http, HMAC, JSON.parse and a group commit (fsync) of one row per delivery
//                  into a SQLite file from a writer thread: the least that stores durably in SQLite;
//   5. storyflow — `node <npm start flags> bin/storyflow serve` on a file-backed SQLite database.
// Then storyflow alone runs at a fixed rate (a fraction of its measured maximum; autocannon's
// overallRate) while its inbox backlog is sampled every second from GET /metrics, and once
// more at that rate with evenly spaced requests, for latency. The end is a markdown report.
//
//   tsx bench/ingest.ts [--duration 10] [--warmup 2] [--sustained 30]
//                       [--rate-fraction 0.5 | --rate N]
//                       [--only ceiling,octokit,append,durable,storyflow] [--keep]
//                       [--rounds N]                  N maximum-rate rounds, the servers taken in
//                                                     turns; the report gives each one's median
//                       [--cpu-prof DIR]              storyflow under node --cpu-prof (see
//                                                     bench/cpuprofile-top.ts)
//                       [--storyflow-env KEY=VALUE]…  extra environment for storyflow
//                       [--api-writes N]              N stories created per second through the
//                                                     REST API during storyflow's maximum run,
//                                                     each timed (bench/api-writer.ts)
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SECRET = 'bench-webhook-secret';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const CONNECTIONS = 32;
const PIPELINING = 1;
const WEBHOOK_PATH = '/webhooks/github';
const TARGETS = ['ceiling', 'octokit', 'append', 'durable', 'storyflow'] as const;
type Target = (typeof TARGETS)[number];

interface Options {
  duration: number;
  warmup: number;
  sustained: number;
  rateFraction: number;
  /** Absolute rate for the sustained runs (req/s); overrides rateFraction. */
  rate: number | null;
  only: Target[];
  cpuProf: string | null;
  keep: boolean;
  /** Extra environment for the storyflow process (experiments: STORYFLOW_WORKERS=0, …). */
  storyflowEnv: Record<string, string>;
  /** Stories created per second through the API during storyflow's maximum run (0: none). */
  apiWrites: number;
  /**
   * Maximum runs per server, taken in turns (ceiling, octokit, append, durable, storyflow, ceiling, …); each
   * server's median is reported. Turns spread a drift of the machine's speed over all three.
   */
  rounds: number;
}

interface Measurement {
  target: Target;
  duration: number;
  ok: number;
  rps: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  p50: number;
  p99: number;
  peakRssMb: number;
  /** Server CPU time (user + system) per 2xx answer, in ms: less skewed by a busy machine. */
  cpuMsPerRequest: number;
  /** Cores the server kept busy on average. */
  cpuCores: number;
  /** Cores used by everything else on the machine (not the server, not this load generator). */
  otherCores: number;
  /** Stories created through the API during the run (--api-writes), with their latencies. */
  apiWrites?: ApiWrites;
}

interface ApiWrites {
  rate: number;
  count: number;
  failed: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

interface SustainedRun {
  rate: number;
  duration: number;
  ok: number;
  rps: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
  samples: number[];
  slope: number;
  grows: boolean;
  drainMs: number | null;
  drainStart: number;
  peakRssMb: number;
  /** The same rate with evenly spaced requests (autocannon's overallRate sends bursts). */
  paced: PacedResult | null;
}

interface PacedResult {
  duration: number;
  ok: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
}

interface Report {
  options: Options;
  environment: Environment;
  payloadBytes: number;
  results: Measurement[];
  /** Every round's req/s per server, when there was more than one round. */
  roundsRps: Map<Target, number[]>;
  maxRunDrain: { startBacklog: number; drainMs: number | null } | null;
  duplicates: number | null;
  sustained: SustainedRun | null;
}

interface Environment {
  command: string;
  node: string;
  cpu: string;
  cores: number;
  date: string;
  /** Share of the machine's CPU busy before the run (anything else running skews figures). */
  busyBefore: number;
}

// ---------------------------------------------------------------------------------------------

/** The node flags of `npm start` (package.json), so storyflow runs as production starts it. */
function startFlags(): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  return (manifest.scripts.start ?? '').split(/\s+/).filter((word) => word.startsWith('--'));
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      sustained: { type: 'string', default: '30' },
      'rate-fraction': { type: 'string', default: '0.5' },
      rate: { type: 'string' },
      only: { type: 'string', default: TARGETS.join(',') },
      'cpu-prof': { type: 'string' },
      keep: { type: 'boolean', default: false },
      'storyflow-env': { type: 'string', multiple: true, default: [] },
      rounds: { type: 'string', default: '1' },
      'api-writes': { type: 'string', default: '0' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: tsx bench/ingest.ts [--duration S] [--warmup S] [--sustained S] ' +
        '[--rate-fraction F | --rate N] [--only ceiling,octokit,append,durable,storyflow] [--cpu-prof DIR] [--keep] ' +
        '[--storyflow-env KEY=VALUE]… [--rounds N] [--api-writes N]\n',
    );
    process.exit(0);
  }
  const number = (name: string, value: string, min: number) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min) {
      throw new Error(`--${name} must be a number ≥ ${min}, got "${value}"`);
    }
    return parsed;
  };
  const only = values.only.split(',').map((name) => name.trim());
  for (const name of only) {
    if (!(TARGETS as readonly string[]).includes(name)) {
      throw new Error(`--only: unknown target "${name}" (${TARGETS.join(', ')})`);
    }
  }
  return {
    duration: number('duration', values.duration, 1),
    warmup: number('warmup', values.warmup, 0),
    sustained: number('sustained', values.sustained, 0),
    rateFraction: number('rate-fraction', values['rate-fraction'], 0.01),
    rate: values.rate === undefined ? null : number('rate', values.rate, 1),
    only: only as Target[],
    cpuProf: values['cpu-prof'] === undefined ? null : resolve(values['cpu-prof']),
    keep: values.keep,
    rounds: Math.trunc(number('rounds', values.rounds, 1)),
    apiWrites: number('api-writes', values['api-writes'], 0),
    storyflowEnv: Object.fromEntries(
      values['storyflow-env'].map((pair) => {
        const at = pair.indexOf('=');
        if (at < 1) throw new Error(`--storyflow-env: expected KEY=VALUE, got "${pair}"`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
    ),
  };
}

async function environment(argv: string[]): Promise<Environment> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const models = [...cpuinfo.matchAll(/^model name\s*:\s*(.+)$/gm)].map((m) => m[1]!.trim());
  return {
    command: ['npm run bench:ingest', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
    node: process.version,
    cpu: models[0] ?? 'unknown',
    cores: models.length,
    date: new Date().toISOString(),
    busyBefore: await machineBusyShare(2000),
  };
}

/** dist/ must be built from the current src/ (bin/storyflow runs dist/main.js). */
function ensureBuilt(): void {
  const entry = join(ROOT, 'dist', 'main.js');
  const newestSource = newestMtime(join(ROOT, 'src'));
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestSource) {
    log(`dist/ is built (${new Date(statSync(entry).mtimeMs).toISOString()}), newer than src/`);
    return;
  }
  log(`dist/ is ${existsSync(entry) ? 'older than src/' : 'missing'}: running npm run build`);
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
}

function newestMtime(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

// ---------------------------------------------------------------------------------------------
// The delivery: a real branch push from @octokit/webhooks-examples, signed once.

interface PushExample {
  ref: string;
  deleted: boolean;
  commits: unknown[];
}

function pushPayload(): Buffer {
  const definitions = JSON.parse(
    readFileSync(
      join(ROOT, 'node_modules/@octokit/webhooks-examples/api.github.com/index.json'),
      'utf8',
    ),
  ) as { name: string; examples: PushExample[] }[];
  const push = definitions.find((definition) => definition.name === 'push');
  const example = push?.examples.find(
    (candidate) =>
      candidate.ref.startsWith('refs/heads/') && !candidate.deleted && candidate.commits.length > 0,
  );
  if (example === undefined) throw new Error('no branch push in @octokit/webhooks-examples');
  return Buffer.from(JSON.stringify(example));
}

function signedHeaders(body: Buffer): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/bench',
    'x-github-event': 'push',
    'x-github-hook-id': '1',
    'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
  };
}

function requestOptions(port: number, body: Buffer): autocannon.Options {
  const prefix = randomUUID().slice(0, 8);
  let sequence = 0;
  return {
    url: `http://127.0.0.1:${port}${WEBHOOK_PATH}`,
    method: 'POST',
    connections: CONNECTIONS,
    pipelining: PIPELINING,
    body,
    headers: signedHeaders(body),
    // The signature covers the body only, so only the delivery id changes per request.
    requests: [
      {
        setupRequest: (request) => {
          sequence += 1;
          request.headers['x-github-delivery'] = `${prefix}-${sequence}`;
          return request;
        },
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes.

interface Server {
  name: Target;
  child: ChildProcess;
  port: number;
  rss: RssSampler;
  stderr: string[];
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

async function startServer(
  name: Target,
  options: Options,
  workdir: string,
): Promise<{ server: Server; readyPath: string }> {
  const port = await freePort();
  // A clean environment: no STORYFLOW_* from the caller's shell leaks into the run.
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('STORYFLOW_')),
  );
  let args: string[];
  let readyPath = '/';
  if (name === 'storyflow') {
    Object.assign(env, {
      STORYFLOW_PORT: String(port),
      STORYFLOW_HOST: '127.0.0.1',
      STORYFLOW_DATABASE_URL: `sqlite:${join(workdir, 'bench.db')}`,
      STORYFLOW_GITHUB_WEBHOOK_SECRET: SECRET,
      STORYFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
      STORYFLOW_LOG_LEVEL: 'warn',
      ...options.storyflowEnv,
    });
    const profile =
      options.cpuProf === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`];
    args = [...profile, ...startFlags(), join(ROOT, 'bin', 'storyflow'), 'serve'];
    readyPath = '/healthz';
  } else {
    Object.assign(env, {
      BENCH_PORT: String(port),
      BENCH_SECRET: SECRET,
      // The append and durable references start each run on a new file of their own.
      BENCH_DB: join(workdir, `${name}.db`),
    });
    args = ['--import', 'tsx', join(ROOT, 'bench', `${name}-server.ts`)];
  }
  // cwd is the temp dir, so no storyflow.config.yaml of the checkout is picked up.
  const child = spawn(process.execPath, args, {
    cwd: name === 'storyflow' ? workdir : ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stdout?.resume();
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr.push(text);
    if (stderr.length > 200) stderr.shift();
  });
  if (child.pid === undefined) throw new Error(`could not start the ${name} server`);
  const server: Server = { name, child, port, rss: new RssSampler(child.pid), stderr };
  return { server, readyPath };
}

async function waitUntilReady(server: Server, path: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) {
      throw new Error(
        `${server.name} exited with ${server.child.exitCode}:\n${server.stderr.join('')}`,
      );
    }
    try {
      await fetch(`http://127.0.0.1:${server.port}${path}`, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${server.name} did not answer within 30 s:\n${server.stderr.join('')}`);
}

async function stopServer(server: Server): Promise<void> {
  server.rss.stop();
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    log(`${server.name} did not stop within 15 s of SIGTERM; killing pid ${child.pid}`);
    child.kill('SIGKILL');
  }, 15_000);
  await exited;
  clearTimeout(timer);
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** CPU time (user + system) a child has used so far, in ms (/proc/<pid>/stat). */
function cpuMsOf(server: Server): number {
  try {
    const stat = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8');
    // Fields after the command (which may contain spaces) — utime and stime are 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** CPU time the whole machine has spent busy (all cores), in ms (/proc/stat). */
function machineBusyMs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (
    (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) *
      1000) /
    CLOCK_TICKS
  );
}

/** Share of all cores busy over `ms`. */
async function machineBusyShare(ms: number): Promise<number> {
  const before = machineBusyMs();
  const started = Date.now();
  await sleep(ms);
  const cores = readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm)?.length ?? 1;
  return (machineBusyMs() - before) / ((Date.now() - started) * cores);
}

/** Peak resident memory of a child: VmHWM (kernel's high-water mark) and VmRSS every 100 ms. */
class RssSampler {
  private peakKb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 100);
  }

  private sample(): void {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      for (const key of ['VmHWM', 'VmRSS']) {
        const kb = Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
        this.peakKb = Math.max(this.peakKb, kb);
      }
    } catch {
      // The process has gone; keep the last peak.
    }
  }

  peakMb(): number {
    this.sample();
    return this.peakKb / 1024;
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Runs.

async function load(
  port: number,
  body: Buffer,
  duration: number,
  overallRate?: number,
): Promise<autocannon.Result> {
  return autocannon({
    ...requestOptions(port, body),
    duration,
    ...(overallRate === undefined ? {} : { overallRate }),
  });
}

async function measure(
  server: Server,
  body: Buffer,
  options: Options,
): Promise<{ measurement: Measurement; result: autocannon.Result }> {
  if (options.warmup > 0) {
    log(`${server.name}: warm-up ${options.warmup} s`);
    await load(server.port, body, options.warmup);
  }
  log(`${server.name}: ${options.duration} s at ${CONNECTIONS} connections`);
  const cpuBefore = cpuMsOf(server);
  const machineBefore = machineBusyMs();
  const ownBefore = process.cpuUsage();
  const apiWriter =
    server.name === 'storyflow' && options.apiWrites > 0
      ? apiWritesDuring(server.port, options.apiWrites, options.duration)
      : undefined;
  const result = await load(server.port, body, options.duration);
  const apiWrites = await apiWriter;
  const cpuMs = cpuMsOf(server) - cpuBefore;
  const own = process.cpuUsage(ownBefore);
  const otherMs = machineBusyMs() - machineBefore - cpuMs - (own.user + own.system) / 1000;
  const measurement: Measurement = {
    target: server.name,
    duration: result.duration,
    ok: result['2xx'],
    rps: result['2xx'] / result.duration,
    non2xx: result.non2xx,
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats).map(([code, stats]) => [code, stats.count]),
    ),
    errors: result.errors,
    timeouts: result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
    peakRssMb: server.rss.peakMb(),
    cpuMsPerRequest: result['2xx'] === 0 ? 0 : cpuMs / result['2xx'],
    cpuCores: cpuMs / 1000 / result.duration,
    otherCores: Math.max(0, otherMs / 1000 / result.duration),
    ...(apiWrites === undefined ? {} : { apiWrites }),
  };
  log(
    `${server.name}: ${fmt(measurement.rps)} req/s 2xx, p50 ${measurement.p50} ms, ` +
      `p99 ${measurement.p99} ms, non-2xx ${measurement.non2xx}, errors ${measurement.errors}, ` +
      `peak RSS ${fmt(measurement.peakRssMb)} MB, CPU ${measurement.cpuMsPerRequest.toFixed(3)} ms/req ` +
      `(${measurement.cpuCores.toFixed(2)} cores; other processes ` +
      `${measurement.otherCores.toFixed(2)} cores)`,
  );
  return { measurement, result };
}

/** Runs bench/api-writer.ts beside the load: `rate` stories a second for `seconds`. */
function apiWritesDuring(port: number, rate: number, seconds: number): Promise<ApiWrites> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'bench', 'api-writer.ts'),
      String(port),
      ADMIN_TOKEN,
      String(rate),
      String(seconds),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  return new Promise((resolveWrites, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`bench/api-writer.ts exited (${code})`));
      else resolveWrites({ rate, ...(JSON.parse(output) as Omit<ApiWrites, 'rate'>) });
    });
  });
}

async function metricsOf(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  return response.text();
}

function metricValue(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}${labels} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function backlogOf(port: number): Promise<number> {
  return metricValue(await metricsOf(port), 'storyflow_inbox_backlog');
}

/** Polls the backlog until it is 0; the time it took, or null past the timeout. */
async function drain(port: number, timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if ((await backlogOf(port)) === 0) return Date.now() - started;
    await sleep(250);
  }
  return null;
}

async function sustainedRun(
  server: Server,
  body: Buffer,
  options: Options,
  maxRps: number,
  workers = true,
): Promise<SustainedRun> {
  const rate = options.rate ?? Math.max(1, Math.round(maxRps * options.rateFraction));
  log(
    `storyflow: sustained ${options.sustained} s at ${rate} req/s ` +
      `(${pct(rate / maxRps)} of ${fmt(maxRps)}), backlog every second`,
  );
  const drainStart = await backlogOf(server.port);
  const samples: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    const started = Date.now();
    for (let tick = 1; sampling; tick += 1) {
      await sleep(Math.max(0, started + tick * 1000 - Date.now()));
      if (!sampling) break;
      try {
        samples.push(await backlogOf(server.port));
      } catch (error) {
        log(`backlog sample failed: ${(error as Error).message}`);
      }
    }
  })();
  const result = await load(server.port, body, options.sustained, rate);
  sampling = false;
  await sampler;
  let drainMs: number | null = null;
  if (workers) {
    log(`storyflow: load stopped; waiting for the backlog to reach 0`);
    drainMs = await drain(server.port, 300_000);
  }
  let paced: PacedResult | null = null;
  if (drainMs !== null || !workers) {
    log(`storyflow: ${options.duration} s at ${rate} req/s evenly spaced (latency probe)`);
    paced = await pacedLoad(server.port, body, rate, options.duration);
    if (workers) await drain(server.port, 300_000);
  }
  const slope = leastSquaresSlope(samples);
  const first = samples[0] ?? 0;
  const last = samples.at(-1) ?? 0;
  return {
    rate,
    duration: result.duration,
    ok: result['2xx'],
    rps: result['2xx'] / result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    p50: result.latency.p50,
    p99: result.latency.p99,
    samples,
    slope,
    // Growing: more than 1 % of the offered rate (at least 1/s) piles up, and it ends higher.
    grows: slope > Math.max(1, rate * 0.01) && last > first,
    drainMs,
    drainStart,
    peakRssMb: server.rss.peakMb(),
    paced,
  };
}

/**
 * Open-loop load with one request every 1/rate s over at most CONNECTIONS keep-alive sockets.
 * Latency counts from when a request was due, so time spent waiting for a free socket counts
 * too (no coordinated omission).
 */
async function pacedLoad(
  port: number,
  body: Buffer,
  rate: number,
  duration: number,
): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const headers = { ...signedHeaders(body), 'content-length': String(body.length) };
  const prefix = randomUUID().slice(0, 8);
  const latencies: number[] = [];
  const result = { ok: 0, non2xx: 0, errors: 0 };
  const send = (due: number, sequence: number) =>
    new Promise<void>((done) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: WEBHOOK_PATH,
          method: 'POST',
          agent,
          headers: { ...headers, 'x-github-delivery': `${prefix}-${sequence}` },
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            latencies.push(performance.now() - due);
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) result.ok += 1;
            else result.non2xx += 1;
            done();
          });
        },
      );
      request.on('error', () => {
        result.errors += 1;
        done();
      });
      request.end(body);
    });
  const interval = 1000 / rate;
  const started = performance.now();
  const end = started + duration * 1000;
  const inFlight: Promise<void>[] = [];
  let sent = 0;
  for (let now = started; now < end; now = performance.now()) {
    const due = Math.min(Math.floor((now - started) / interval) + 1, Math.ceil(duration * rate));
    for (; sent < due; sent += 1) inFlight.push(send(started + sent * interval, sent));
    await sleep(1);
  }
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) =>
    latencies.length === 0
      ? 0
      : latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return {
    duration: (performance.now() - started) / 1000,
    ...result,
    p50: Math.round(percentile(0.5) * 10) / 10,
    p99: Math.round(percentile(0.99) * 10) / 10,
  };
}

function leastSquaresSlope(values: number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((sum, value) => sum + value, 0) / n;
  let numerator = 0;
  let denominator = 0;
  values.forEach((value, x) => {
    numerator += (x - meanX) * (value - meanY);
    denominator += (x - meanX) ** 2;
  });
  return numerator / denominator;
}

// ---------------------------------------------------------------------------------------------
// Output.

function printReport(report: Report): void {
  const { results, sustained, environment: env, options } = report;
  const byTarget = new Map(results.map((result) => [result.target, result]));
  const ceiling = byTarget.get('ceiling');
  const octokit = byTarget.get('octokit');
  const durable = byTarget.get('durable');
  const storyflow = byTarget.get('storyflow');

  const out: string[] = [];
  out.push('', '## Webhook ingestion', '');
  out.push(`- command: \`${env.command}\``);
  out.push(
    `- node ${env.node}; CPU: ${env.cpu} × ${env.cores}; date: ${env.date}; ` +
      `machine busy before the run: ${pct(env.busyBefore)}`,
  );
  const otherCores = Math.max(0, ...results.map((result) => result.otherCores));
  if (env.busyBefore > 0.1 || otherCores > 0.2) {
    out.push(
      '- **other processes were using the CPU (up to ' +
        `${otherCores.toFixed(2)} cores during a run): the figures are pessimistic and noisy**`,
    );
  }
  const extra = Object.entries(options.storyflowEnv);
  if (extra.length > 0) {
    out.push(`- storyflow environment: ${extra.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  out.push(
    `- load: autocannon, ${CONNECTIONS} connections, pipelining ${PIPELINING}, ` +
      `${options.duration} s per server after a ${options.warmup} s warm-up; payload: GitHub ` +
      `\`push\` (branch, @octokit/webhooks-examples), ${report.payloadBytes} bytes, signed, ` +
      'a unique X-GitHub-Delivery per request',
  );
  out.push(
    `- every server is a child process; storyflow is \`node ${startFlags().join(' ')} ` +
      'bin/storyflow serve` (the flags of `npm start`) on a SQLite file in a temp dir, inbox ' +
      'worker on (in its thread); the references run under `node --import tsx`',
  );
  out.push(
    '- CPU ms/req: the server process’s user + system CPU time during the run ' +
      '(/proc/<pid>/stat) per 2xx answer; storyflow’s includes its inbox worker processing ' +
      'the same deliveries; other load: cores used meanwhile by other processes on the machine ' +
      '(neither the server nor the load generator)',
  );
  if (options.cpuProf !== null) {
    out.push('- **storyflow ran under --cpu-prof: its figures are not comparable**');
  }
  out.push('');
  out.push(
    '| server | req/s (2xx) | non-2xx | errors | p50 ms | p99 ms | peak RSS MB | CPU ms/req | vs ceiling | vs octokit | vs durable | other load |',
  );
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const result of results) {
    out.push(
      `| ${result.target} | ${fmt(result.rps)} | ${result.non2xx} | ${result.errors + result.timeouts} ` +
        `| ${result.p50} | ${result.p99} | ${fmt(result.peakRssMb)} | ${result.cpuMsPerRequest.toFixed(2)} ` +
        `| ${ratio(result, ceiling)} | ${ratio(result, octokit)} | ${ratio(result, durable)} ` +
        `| ${result.otherCores.toFixed(2)} |`,
    );
  }
  if (report.roundsRps.size > 0) {
    out.push(
      '',
      `Medians of ${options.rounds} rounds taken in turns; every round's req/s — ` +
        [...report.roundsRps]
          .map(([target, rps]) => `${target}: ${rps.map(fmt).join(', ')}`)
          .join('; '),
    );
  }
  for (const { target, apiWrites } of results) {
    if (apiWrites === undefined) continue;
    out.push(
      '',
      `API writes during ${target}'s maximum run: ${apiWrites.count} stories created ` +
        `(${apiWrites.rate}/s, POST /api/v1/stories), ${apiWrites.failed} failed; ` +
        `p50 ${fmt(apiWrites.p50)} ms, p90 ${fmt(apiWrites.p90)} ms, ` +
        `p99 ${fmt(apiWrites.p99)} ms, max ${fmt(apiWrites.max)} ms`,
    );
  }
  const codes = results
    .filter((result) => result.non2xx > 0)
    .map((result) => `${result.target}: ${JSON.stringify(result.statusCodes)}`);
  if (codes.length > 0) out.push('', `Status codes where some were not 2xx — ${codes.join('; ')}`);
  if (report.duplicates !== null && report.duplicates > 0) {
    out.push('', `storyflow answered duplicate: true ${report.duplicates} times (ids not unique?)`);
  }
  if (report.maxRunDrain !== null) {
    const { startBacklog, drainMs } = report.maxRunDrain;
    out.push(
      '',
      `After the max run storyflow's inbox backlog was ${startBacklog}; ` +
        `it reached 0 after ${drainMs === null ? 'more than 300 s' : `${fmt(drainMs / 1000)} s`}.`,
    );
  }
  if (sustained !== null) {
    const first = sustained.samples[0] ?? 0;
    const last = sustained.samples.at(-1) ?? 0;
    const max = Math.max(0, ...sustained.samples);
    const share = pct(sustained.rate / (storyflow?.rps ?? sustained.rate));
    const drained = (ms: number | null) => (ms === null ? '> 300 s' : `${fmt(ms / 1000)} s`);
    out.push('', `### Sustained load: storyflow at ${share} of its maximum`, '');
    out.push('| sustained run | figure |', '| --- | --- |');
    out.push(
      `| offered | ${sustained.rate} req/s for ${options.sustained} s (autocannon overallRate) |`,
    );
    out.push(
      `| answered | ${fmt(sustained.rps)} 2xx/s; ${sustained.non2xx} non-2xx, ` +
        `${sustained.errors} errors |`,
    );
    out.push(
      `| latency, autocannon pacing (bursts each second) | p50 ${sustained.p50} ms, ` +
        `p99 ${sustained.p99} ms |`,
    );
    if (sustained.paced !== null) {
      const paced = sustained.paced;
      out.push(
        `| latency, evenly spaced (${options.duration} s, ${paced.ok} 2xx, ` +
          `${paced.non2xx + paced.errors} other) | p50 ${paced.p50} ms, p99 ${paced.p99} ms |`,
      );
    }
    out.push(
      `| inbox backlog, sampled 1/s | first ${first}, last ${last}, max ${max}; ` +
        `trend ${fmt(sustained.slope)}/s: **${sustained.grows ? 'grows' : 'does not grow'}** |`,
    );
    out.push(`| backlog 0 again after the load stopped | ${drained(sustained.drainMs)} |`);
    out.push(`| peak RSS (whole storyflow process life) | ${fmt(sustained.peakRssMb)} MB |`);
    out.push('', `Backlog samples: ${sustained.samples.join(' ')}`);
  }
  if (storyflow !== undefined) {
    out.push('', '### Targets', '');
    const check = (passed: boolean) => (passed ? 'met' : '**missed**');
    if (ceiling !== undefined) {
      const share = storyflow.rps / ceiling.rps;
      out.push(`- ≥ 50 % of the ceiling: ${check(share >= 0.5)} (${pct(share)})`);
      const append = byTarget.get('append');
      if (append !== undefined) {
        const bound = append.rps / ceiling.rps;
        out.push(`  - the append reference (no database; one fdatasync per batch): ${pct(bound)}`);
      }
    }
    out.push(`- p99 < 20 ms at max load: ${check(storyflow.p99 < 20)} (${storyflow.p99} ms)`);
    if (sustained !== null) {
      out.push(
        `- p99 < 20 ms in the sustained run: ${check(sustained.p99 < 20)} (${sustained.p99} ms)`,
      );
      if (sustained.paced !== null) {
        const { p99 } = sustained.paced;
        out.push(`- p99 < 20 ms at the same rate evenly spaced: ${check(p99 < 20)} (${p99} ms)`);
      }
    }
    const rss = Math.max(storyflow.peakRssMb, sustained?.peakRssMb ?? 0);
    out.push(`- peak RSS < 200 MB: ${check(rss < 200)} (${fmt(rss)} MB)`);
    if (sustained !== null) {
      out.push(`- backlog does not grow in the sustained run: ${check(!sustained.grows)}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

/** The run with the median req/s (the lower of the two middle ones for an even count). */
function median(runs: Measurement[]): Measurement {
  if (runs.length === 0) throw new Error('no runs to take a median of');
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function ratio(result: Measurement, reference: Measurement | undefined): string {
  if (reference === undefined) return '–';
  return result === reference ? '100 %' : pct(result.rps / reference.rps);
}

function pct(value: number): string {
  return `${(value * 100).toFixed(0)} %`;
}

function fmt(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseOptions(argv);
  if (options.only.includes('storyflow')) ensureBuilt();
  const env = await environment(argv);
  const body = pushPayload();
  const workdir = mkdtempSync(join(tmpdir(), 'storyflow-bench-'));
  log(`temp dir ${workdir}; payload ${body.length} bytes`);
  const report: Report = {
    options,
    environment: env,
    payloadBytes: body.length,
    results: [],
    roundsRps: new Map(),
    maxRunDrain: null,
    duplicates: null,
    sustained: null,
  };
  const running = new Set<Server>();
  const stopAll = async () => {
    for (const server of running) await stopServer(server);
  };
  process.once('SIGINT', () => {
    void stopAll().finally(() => process.exit(130));
  });
  // After each maximum run: duplicates, the drain; after the last, the sustained run.
  const afterStoryflowMax = async (server: Server, runs: Measurement[], last: boolean) => {
    const metrics = await metricsOf(server.port);
    report.duplicates =
      (report.duplicates ?? 0) +
      metricValue(
        metrics,
        'storyflow_webhooks_received_total',
        '{provider="github",duplicate="true"}',
      );
    const startBacklog = metricValue(metrics, 'storyflow_inbox_backlog');
    const workers = !['0', 'false'].includes(options.storyflowEnv.STORYFLOW_WORKERS ?? '1');
    if (!workers) log('storyflow: inbox workers are off; no drain (the backlog only grows)');
    else log(`storyflow: backlog ${startBacklog} after the max run; waiting for 0`);
    const drainMs = workers ? await drain(server.port, 300_000) : null;
    if (workers && last) report.maxRunDrain = { startBacklog, drainMs };
    if (!last) return;
    // Without workers the sustained run still measures latency; its backlog can only grow.
    // Its rate comes from the median maximum when there were several rounds.
    const maxRps = median(runs).rps;
    if (options.sustained > 0 && (drainMs !== null || !workers)) {
      report.sustained = await sustainedRun(server, body, options, maxRps, workers);
    }
  };
  try {
    const targets = TARGETS.filter((name) => options.only.includes(name));
    const measured = new Map<Target, Measurement[]>();
    for (let round = 1; round <= options.rounds; round += 1) {
      if (options.rounds > 1) log(`round ${round} of ${options.rounds}`);
      for (const target of targets) {
        // Each round's storyflow starts on an empty database.
        if (target === 'storyflow') {
          for (const suffix of ['', '-wal', '-shm'])
            rmSync(join(workdir, `bench.db${suffix}`), { force: true });
        }
        const { server, readyPath } = await startServer(target, options, workdir);
        running.add(server);
        await waitUntilReady(server, readyPath);
        const { measurement } = await measure(server, body, options);
        measured.set(target, [...(measured.get(target) ?? []), measurement]);
        if (target === 'storyflow') {
          await afterStoryflowMax(server, measured.get(target) ?? [], round === options.rounds);
        }
        await stopServer(server);
        running.delete(server);
      }
    }
    for (const target of targets) {
      const runs = measured.get(target) ?? [];
      report.results.push(median(runs));
      if (runs.length > 1)
        report.roundsRps.set(
          target,
          runs.map((run) => run.rps),
        );
    }
  } finally {
    await stopAll();
    if (options.keep) log(`kept ${workdir}`);
    else rmSync(workdir, { recursive: true, force: true });
  }
  if (options.cpuProf !== null) log(`CPU profile written under ${options.cpuProf}`);
  printReport(report);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:ingest failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exit(1);
});
