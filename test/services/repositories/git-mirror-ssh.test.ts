// `credentials: { sshKeyFile }` reaches ssh through GIT_SSH_COMMAND only: this machine has no
// sshd, so the test puts a recording `ssh` first on git's PATH (it logs its arguments and runs
// the real ssh, which finds nothing listening) and checks what ssh was given, and that the key
// itself is in no process's arguments, no error message and no file of the mirror. The live
// path (a real sshd accepting the key) is not exercised (docs/git-sync.md says so).
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { RepositoryConfig } from '../../../src/config/config.js';
import { GitMirror } from '../../../src/services/repositories/git-mirror.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let root: string;
let keyFile: string;
let log: string;
let bin: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'storyflow-ssh-'));
  keyFile = join(root, "deploy key's file"); // a space and a quote: the shell must not split it
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    'storyflow-test',
    '-f',
    keyFile,
  ]);
  log = join(root, 'ssh-argv.log');
  bin = join(root, 'bin');
  mkdirSync(bin);
  const realSsh = execFileSync('sh', ['-c', 'command -v ssh']).toString('utf8').trim();
  writeFileSync(
    join(bin, 'ssh'),
    `#!/bin/sh\nfor arg in "$@"; do printf '%s\\n' "$arg" >> '${log}'; done\nexec ${realSsh} -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "$@"\n`,
  );
  chmodSync(join(bin, 'ssh'), 0o755);
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

it('an SSH key goes to ssh as -i in GIT_SSH_COMMAND, with IdentitiesOnly and BatchMode; its contents reach no argument, message or file', async () => {
  const port = await closedPort();
  const mirrors = join(root, 'mirrors');
  const mirror = new GitMirror(
    {
      name: 'acme/shop',
      provider: 'github',
      url: `ssh://git@127.0.0.1:${port}/acme/shop.git`,
      branch: 'main',
      stories: 'docs/stories/**/*.md',
      writeBack: 'off',
      onDelete: 'keep',
      credentials: { kind: 'ssh', keyFile },
    } satisfies RepositoryConfig,
    { mirrorDir: mirrors, env: { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: root } },
  );
  const error = await mirror.fetch('main').then(
    () => undefined,
    (caught: Error & { args?: readonly string[] }) => caught,
  );
  expect(error?.message).toMatch(/git fetch failed/);

  const argv = readFileSync(log, 'utf8').split('\n');
  expect(argv).toEqual(
    expect.arrayContaining(['-i', keyFile, 'IdentitiesOnly=yes', 'BatchMode=yes', 'git@127.0.0.1']),
  );
  expect(argv[argv.indexOf('-i') + 1]).toBe(keyFile);

  const secret = readFileSync(keyFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('-----'));
  expect(secret.length).toBeGreaterThan(0);
  const exposed = [argv.join('\n'), error?.message ?? '', (error?.args ?? []).join(' ')];
  for (const file of filesUnder(mirrors)) exposed.push(readFileSync(file, 'latin1'));
  for (const place of exposed) {
    for (const line of secret) expect(place).not.toContain(line);
  }
  // git's own arguments name neither the key nor its file: only ssh's do.
  expect((error?.args ?? []).join(' ')).not.toContain(keyFile);
});
