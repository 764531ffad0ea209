// The `storyflow` command line: parses arguments, runs one command, maps errors to exit codes.
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { startServer } from '../server.js';
import { checkGitVersion } from '../services/repositories/check-git-version.js';
import { VERSION } from '../version.js';
import { ApiClient } from './api-client.js';
import { addAuditCommands } from './commands/audit-commands.js';
import { addAutomationCommands } from './commands/automation-commands.js';
import { addCiCommands } from './commands/ci-commands.js';
import { addDeliveryCommands } from './commands/delivery-commands.js';
import { exportDirectory } from './commands/export-command.js';
import { formatImportSummary, importDirectory } from './commands/import-command.js';
import { addOutboxCommands } from './commands/outbox-commands.js';
import { addRepositoryCommands } from './commands/repository-commands.js';
import { addTokenCommands } from './commands/token-commands.js';
import { CliError, EXIT } from './exit-codes.js';
import { limitHeapGrowth } from './heap-growth.js';
import { createProgress } from './progress.js';

export interface CliContext {
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

/** After the shutdown grace period, how long closing the threads and the store may take. */
const SHUTDOWN_MARGIN_MS = 3000;

/**
 * Ends the process at once. Not process.exit: that terminates the worker threads, and one
 * inside a SQLite call (waiting on a lock another process holds) aborts the process in
 * better-sqlite3 with a native stack trace. SIGKILL ends it as cleanly as a supervisor would.
 */
function exitNow(): never {
  process.kill(process.pid, 'SIGKILL');
  // Not reached: SIGKILL cannot be caught.
  throw new Error('SIGKILL did not end the process');
}

interface ClientOptions {
  url?: string;
  token?: string;
}

export function buildProgram(context: CliContext): Command {
  const program = new Command('storyflow')
    .description('storyflow: user stories as markdown, kept in step with your code and CI/CD')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    });

  const clientOf = (options: ClientOptions) =>
    new ApiClient({
      baseUrl: options.url ?? context.env.STORYFLOW_URL ?? 'http://localhost:8080',
      token: options.token ?? context.env.STORYFLOW_TOKEN,
    });
  const withClientOptions = (command: Command) =>
    command
      .addOption(
        new Option('--url <url>', 'server URL (env STORYFLOW_URL, default http://localhost:8080)'),
      )
      .addOption(new Option('--token <token>', 'API token (env STORYFLOW_TOKEN)'));

  program
    .command('serve')
    .description('run the storyflow server (config: storyflow.config.yaml, STORYFLOW_* variables)')
    .option('--port <port>', 'port to listen on (env STORYFLOW_PORT, default 8080)')
    .option('--host <address>', 'address to listen on (env STORYFLOW_HOST, default 0.0.0.0)')
    .option('--database-url <url>', 'database URL (env STORYFLOW_DATABASE_URL)')
    .action(async (options: { port?: string; host?: string; databaseUrl?: string }) => {
      const env = { ...context.env };
      if (options.port !== undefined) env.STORYFLOW_PORT = options.port;
      if (options.host !== undefined) env.STORYFLOW_HOST = options.host;
      if (options.databaseUrl !== undefined) env.STORYFLOW_DATABASE_URL = options.databaseUrl;
      const config = loadConfig({ env, cwd: context.cwd });
      if (config.repositories.length > 0) {
        const problem = await checkGitVersion(config.git.env);
        if (problem !== null) throw new CliError(EXIT.usage, problem);
      }
      limitHeapGrowth();
      const server = await startServer(config);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) {
            context.stderr.write(`storyflow: ${signal} again while stopping; exiting now\n`);
            exitNow();
          }
          stopping = true;
          // Whatever holds the process (a stuck request, a thread, a database pool waiting for
          // a client), it ends within the grace period plus this margin.
          const deadline = setTimeout(() => {
            context.stderr.write(
              `storyflow: not stopped ${config.shutdownGraceMs + SHUTDOWN_MARGIN_MS} ms after ${signal}; exiting now\n`,
            );
            exitNow();
          }, config.shutdownGraceMs + SHUTDOWN_MARGIN_MS);
          deadline.unref();
          server.close().then(resolve, resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });

  withClientOptions(
    program
      .command('import')
      .description('import every story document (*.md with frontmatter) under DIR')
      .argument('<dir>', 'directory of story documents'),
  ).action(async (dir: string, options: ClientOptions) => {
    const summary = await importDirectory(
      clientOf(options),
      dir,
      createProgress('importing', context.stderr),
    );
    context.stdout.write(`${formatImportSummary(dir, summary)}\n`);
  });

  withClientOptions(
    program
      .command('export')
      .description('write every story to DIR/<id>.md, byte for byte as stored')
      .argument('<dir>', 'directory to write into (created if missing)'),
  ).action(async (dir: string, options: ClientOptions) => {
    const count = await exportDirectory(
      clientOf(options),
      dir,
      createProgress('exporting', context.stderr),
    );
    context.stdout.write(`Exported ${count} ${count === 1 ? 'story' : 'stories'} to ${dir}\n`);
  });

  addTokenCommands(program, {
    clientOf,
    stdout: context.stdout,
    now: () => new Date(),
    env: context.env,
    cwd: context.cwd,
  });
  addAuditCommands(program, { clientOf, stdout: context.stdout });
  addDeliveryCommands(program, { clientOf, stdout: context.stdout });
  addOutboxCommands(program, { clientOf, stdout: context.stdout });
  addRepositoryCommands(program, { clientOf, stdout: context.stdout, stderr: context.stderr });
  addAutomationCommands(program, { clientOf, stdout: context.stdout, cwd: context.cwd });
  addCiCommands(program, { env: context.env, stdout: context.stdout, stderr: context.stderr });

  return program;
}

/** Runs the CLI and resolves to the process exit code. */
export async function runCli(argv: string[], context: CliContext): Promise<number> {
  const program = buildProgram(context);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      context.stderr.write(`storyflow: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      context.stderr.write(`storyflow: ${error.message}\n`);
      return EXIT.usage;
    }
    context.stderr.write(`storyflow: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.serverFailure;
  }
}
