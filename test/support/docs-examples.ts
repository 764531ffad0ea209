// The examples of docs/automation.md (docs/examples/automation/*): read, and run as the doc
// says (JSON bodies posted, shell scripts run with bash against a test server).
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const EXAMPLES_DIR = fileURLToPath(
  new URL('../../docs/examples/automation/', import.meta.url),
);
export const AUTOMATION_DOC = fileURLToPath(new URL('../../docs/automation.md', import.meta.url));

export function exampleNames(): string[] {
  return readdirSync(EXAMPLES_DIR).sort();
}

export function exampleText(name: string): string {
  return readFileSync(`${EXAMPLES_DIR}${name}`, 'utf8');
}

export function exampleJson(name: string): any {
  return JSON.parse(exampleText(name));
}

const run = promisify(execFile);

/**
 * Runs an example script with bash, as a CI step would: in the examples directory (so
 * `-d @file.json` reads the example beside it), with only PATH and `env` set. Answers
 * stdout parsed as JSON (curl prints the answer), and the exit code.
 */
export async function runExampleScript(
  name: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; json: any; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('bash', [`${EXAMPLES_DIR}${name}`, ...args], {
      cwd: EXAMPLES_DIR,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      timeout: 20_000,
    });
    return { code: 0, json: parseJson(stdout), stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : 1,
      json: parseJson(failed.stdout ?? ''),
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? String(error),
    };
  }
}

function parseJson(text: string): unknown {
  try {
    return text.trim() === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Whether `actual` has everything `example` shows. A string in the example ending in `…`
 * (`"op_…"`, `"dlv_…"`) stands for any string with that prefix; `createdAt` stands for any
 * time. Arrays must have the same length.
 */
export function matchesExample(actual: unknown, example: unknown, path = '$'): string[] {
  if (typeof example === 'string' && example.endsWith('…')) {
    return typeof actual === 'string' && actual.startsWith(example.slice(0, -1))
      ? []
      : [`${path}: expected a string starting with ${example.slice(0, -1)}, got ${show(actual)}`];
  }
  if (Array.isArray(example)) {
    if (!Array.isArray(actual) || actual.length !== example.length)
      return [`${path}: expected ${show(example)}, got ${show(actual)}`];
    return example.flatMap((item, index) =>
      matchesExample(actual[index], item, `${path}[${index}]`),
    );
  }
  if (example !== null && typeof example === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return [`${path}: expected an object, got ${show(actual)}`];
    return Object.entries(example).flatMap(([key, value]) =>
      key === 'createdAt' && typeof value === 'string'
        ? typeof (actual as Record<string, unknown>)[key] === 'string'
          ? []
          : [`${path}.${key}: expected a time`]
        : matchesExample((actual as Record<string, unknown>)[key], value, `${path}.${key}`),
    );
  }
  return Object.is(actual, example)
    ? []
    : [`${path}: expected ${show(example)}, got ${show(actual)}`];
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
