// `storyflow audit verify`: recomputes the audit log's hash chain on the server.
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { CliError, EXIT } from '../exit-codes.js';

interface Verification {
  ok: boolean;
  checked: number;
  lastSeq: number;
  firstBreak?: { seq: number; reason: string; message: string };
}

export function addAuditCommands(
  program: Command,
  context: {
    clientOf(options: { url?: string; token?: string }): ApiClient;
    stdout: NodeJS.WritableStream;
  },
): void {
  const audit = program
    .command('audit')
    .description('the tamper-evident audit log (needs audit:read)');
  audit
    .command('verify')
    .description('recompute the hash chain and name the first entry that does not fit (exit 1)')
    .option('--json', 'print the answer as JSON')
    .option('--url <url>', 'server URL (env STORYFLOW_URL)')
    .option('--token <token>', 'API token (env STORYFLOW_TOKEN)')
    .action(async (options) => {
      const result = await context
        .clientOf(options)
        .json<Verification>('GET', '/api/v1/audit/verify');
      if (options.json) context.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (result.ok) {
        if (!options.json) {
          context.stdout.write(
            `Audit log intact: ${result.checked} entries verified (last seq ${result.lastSeq})\n`,
          );
        }
        return;
      }
      const broken = result.firstBreak;
      throw new CliError(
        EXIT.serverFailure,
        `audit log broken at entry ${broken?.seq} (${broken?.reason}): ${broken?.message}; ` +
          `${result.checked} entries before it verified`,
      );
    });
}
