// Summarises a V8 .cpuprofile (node --cpu-prof; `npm run bench:ingest -- --cpu-prof DIR`):
// the functions with the most self time, self time by package / file, and the storyflow
// functions with the most total (inclusive) time.
//
//   tsx bench/cpuprofile-top.ts DIR-or-FILE.cpuprofile [--top 25]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
const top = Number(values.top);
const target = positionals[0];
if (target === undefined) {
  process.stderr.write('usage: tsx bench/cpuprofile-top.ts DIR-or-FILE.cpuprofile [--top N]\n');
  process.exit(2);
}
const file = newestProfile(resolve(target));
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const cwd = process.cwd();

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) {
  for (const child of node.children ?? []) parentOf.set(child, node.id);
}

const selfByFunction = new Map<string, number>();
const selfByPlace = new Map<string, number>();
const totalByFunction = new Map<string, number>();
let total = 0;
let idle = 0;
profile.samples.forEach((id, index) => {
  const micros = profile.timeDeltas[index] ?? 0;
  const node = byId.get(id);
  if (node === undefined) return;
  total += micros;
  if (node.callFrame.functionName === '(idle)') {
    idle += micros;
    return;
  }
  add(selfByFunction, functionKey(node.callFrame), micros);
  add(selfByPlace, placeOf(node.callFrame), micros);
  // Inclusive time: each distinct function on the stack once.
  const seen = new Set<string>();
  for (
    let current: number | undefined = id;
    current !== undefined;
    current = parentOf.get(current)
  ) {
    const frame = byId.get(current)?.callFrame;
    if (frame === undefined) break;
    const key = functionKey(frame);
    if (!seen.has(key)) {
      seen.add(key);
      add(totalByFunction, key, micros);
    }
  }
});

const busy = total - idle;
const out: string[] = [];
out.push(`profile ${relative(cwd, file)}`);
out.push(
  `wall ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s ` +
    `(${((busy / total) * 100).toFixed(0)} %), idle ${(idle / 1e6).toFixed(1)} s`,
);
out.push('', `top ${top} functions by self time (% of busy time)`);
for (const [key, micros] of sorted(selfByFunction).slice(0, top)) out.push(row(micros, key));
out.push('', 'self time by package / file');
for (const [key, micros] of sorted(selfByPlace).slice(0, top)) out.push(row(micros, key));
out.push('', `top ${top} storyflow functions (dist/) by total time`);
for (const [key, micros] of sorted(totalByFunction)
  .filter(([key]) => key.includes(' dist/'))
  .slice(0, top)) {
  out.push(row(micros, key));
}
process.stdout.write(`${out.join('\n')}\n`);

function row(micros: number, key: string): string {
  const share = ((micros / busy) * 100).toFixed(1).padStart(5);
  return `${share} %  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${key}`;
}

function functionKey(frame: CallFrame): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  return frame.url === '' ? name : `${name} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

function placeOf(frame: CallFrame): string {
  const url = frame.url;
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url;
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1] !== undefined) return modules[1];
  return shortUrl(url);
}

function shortUrl(url: string): string {
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) return path.slice(modules + 'node_modules/'.length);
  return path.startsWith(cwd) ? relative(cwd, path) : path;
}

function add(map: Map<string, number>, key: string, micros: number): void {
  map.set(key, (map.get(key) ?? 0) + micros);
}

function sorted(map: Map<string, number>): [string, number][] {
  return [...map].sort((a, b) => b[1] - a[1]);
}

function newestProfile(path: string): string {
  if (!statSync(path).isDirectory()) return path;
  const files = readdirSync(path)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(path, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (files[0] === undefined) throw new Error(`no .cpuprofile in ${path}`);
  return files[0];
}
