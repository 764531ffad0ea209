#!/usr/bin/env node
// The GitHub Action's entry (bundled into action/index.cjs, so the runner needs no build step):
// turns the action's inputs into a `storyflow ci …` command and runs it.
//
// The same file is also the single-file CI client for GitLab CI, Jenkins or any shell: run with
// arguments (`node index.cjs ci event --status success`) it is `storyflow ci …` with the same
// flags, environment and exit codes, and needs nothing but Node.js ≥ 20.
import { Command, CommanderError } from 'commander';
// Inlined by esbuild: the bundle runs without package.json beside it (src/version.ts is the
// version everywhere else). Node never loads this module unbundled, so no JSON-module warning.
import packageJson from '../../package.json' with { type: 'json' };
import { addCiCommands } from '../cli/commands/ci-commands.js';
import { CliError, EXIT } from '../cli/exit-codes.js';

const VERSION: string = packageJson.version;

type Env = Record<string, string | undefined>;

/** GitHub passes input `oidc-audience` as INPUT_OIDC-AUDIENCE. */
function input(env: Env, name: string): string | undefined {
  const value = env[`INPUT_${name.toUpperCase()}`]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Splits `--environment production --story "INT-003"` like a shell would (quotes, no globbing). */
export function splitArguments(text: string): string[] {
  const args: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const match of text.matchAll(pattern)) {
    args.push(
      match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] ?? match[3] ?? ''),
    );
  }
  return args;
}

export function actionArguments(env: Env): string[] {
  const command = input(env, 'command') ?? 'event';
  const args = ['ci', ...splitArguments(command), ...splitArguments(input(env, 'args') ?? '')];
  const url = input(env, 'url');
  const token = input(env, 'token');
  const audience = input(env, 'oidc-audience');
  if (url !== undefined) args.push('--url', url);
  if (token !== undefined) args.push('--token', token);
  else if (audience !== undefined) args.push('--oidc-audience', audience);
  if (input(env, 'fail-on-error') === 'true') args.push('--fail-on-error');
  if (input(env, 'dry-run') === 'true') args.push('--dry-run');
  return args;
}

function program(env: Env, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream) {
  const root = new Command('storyflow')
    .description('storyflow CI client: report from a pipeline (storyflow ci --help)')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
    });
  addCiCommands(root, { env, stdout, stderr });
  return root;
}

/** Runs `storyflow ci …` with `args`; resolves to the exit code. */
async function run(
  args: string[],
  env: Env,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<number> {
  try {
    await program(env, stdout, stderr).parseAsync(args, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    // --help and --version end through here with exit code 0; commander printed the rest.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const message = error instanceof Error ? error.message : String(error);
    // On GitHub Actions an ::error:: line becomes an annotation on the run.
    stderr.write(
      env.GITHUB_ACTIONS === 'true'
        ? `::error::storyflow: ${message}\n`
        : `storyflow: ${message}\n`,
    );
    return error instanceof CliError ? error.exitCode : EXIT.serverFailure;
  }
}

/** The GitHub Action: the command comes from the INPUT_* variables the runner sets. */
export function runAction(
  env: Env,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<number> {
  return run(actionArguments(env), env, stdout, stderr);
}

/** The single-file client: `node index.cjs ci event …`, like `storyflow ci event …`. */
export function runClient(
  argv: string[],
  env: Env,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<number> {
  return run(argv, env, stdout, stderr);
}

if (process.env.STORYFLOW_ACTION_NO_RUN !== '1') {
  const argv = process.argv.slice(2);
  (argv.length > 0
    ? runClient(argv, process.env, process.stdout, process.stderr)
    : runAction(process.env, process.stdout, process.stderr)
  ).then((code) => {
    process.exitCode = code;
  });
}
