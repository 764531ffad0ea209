// docs/cli.md cannot fall behind the CLI: every command `--help` lists, and every option of
// each, is named on the page.
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

const page = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');

/** Every command with no subcommands, as the words a user types after `storyflow`. */
function leaves(command: Command, path: string[] = []): { path: string[]; command: Command }[] {
  const subcommands = command.commands.filter((sub) => sub.name() !== 'help');
  if (subcommands.length === 0) return [{ path, command }];
  return subcommands.flatMap((sub) => leaves(sub, [...path, sub.name()]));
}

describe('docs/cli.md', () => {
  const program = buildProgram({
    env: {},
    cwd: process.cwd(),
    stdout: new PassThrough(),
    stderr: new PassThrough() as unknown as NodeJS.WriteStream,
  });
  const commands = leaves(program);

  it('finds the commands --help shows', () => {
    const names = commands.map((leaf) => leaf.path.join(' '));
    expect(names).toEqual(
      expect.arrayContaining([
        'serve',
        'import',
        'export',
        'token create',
        'token bootstrap',
        'audit verify',
        'deliveries replay',
        'operations rollback',
        'rules simulate',
        'ci link',
      ]),
    );
  });

  it('names every command', () => {
    for (const { path } of commands) {
      // The ci subcommands are listed in their own table, as `ci event`, `ci status ID STATUS`.
      const shown = path[0] === 'ci' ? `\`${path.join(' ')}` : `\`storyflow ${path.join(' ')}`;
      expect(page, `docs/cli.md does not name ${path.join(' ')}`).toContain(shown);
    }
  });

  it('names every option of every command', () => {
    for (const { path, command } of commands) {
      for (const option of command.options) {
        if (option.long === undefined || option.long === '--help') continue;
        expect(page, `docs/cli.md does not name ${path.join(' ')} ${option.long}`).toContain(
          option.long,
        );
      }
    }
  });
});
