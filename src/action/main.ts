// The GitHub Action's entry (bundled into action/index.cjs, so the runner needs no build step):
// turns the action's inputs into a `storyflow ci …` command and runs it.
import { Command, CommanderError } from 'commander';
import { addCiCommands } from '../cli/commands/ci-commands.js';
import { CliError } from '../cli/exit-codes.js';

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

export async function runAction(
  env: Env,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<number> {
  const program = new Command('storyflow').exitOverride();
  addCiCommands(program, { env, stdout, stderr });
  try {
    await program.parseAsync(actionArguments(env), { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const message = error instanceof Error ? error.message : String(error);
    stderr.write(`::error::storyflow: ${message}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

if (process.env.STORYFLOW_ACTION_NO_RUN !== '1') {
  runAction(process.env, process.stdout, process.stderr).then((code) => {
    process.exitCode = code;
  });
}
