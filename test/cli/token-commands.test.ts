// `storyflow token create|list|revoke` against a real server.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expiryFrom } from '../../src/cli/commands/token-commands.js';
import { CliError } from '../../src/cli/exit-codes.js';
import { openStore } from '../../src/storage/open-store.js';
import { http } from '../support/http.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';

const SECRET = /sfp_[A-Za-z0-9_-]{43,}/g;

describe('storyflow token', () => {
  let server: TestServer;
  let target: string[];
  beforeEach(async () => {
    server = await startTestServer(await openStore('sqlite::memory:'));
    target = ['--url', server.url, '--token', server.token];
  });
  afterEach(async () => {
    await server.close();
  });

  const createCi = () =>
    runCliInProcess([
      'token',
      'create',
      '--name',
      'ci',
      '--scope',
      'stories:read',
      '--scope',
      'ci:events',
      '--repository',
      'acme/*',
      '--expires-in',
      '30d',
      ...target,
    ]);

  it('create prints the new token with its scopes, repositories and expiry, and its secret once', async () => {
    const started = Date.now();
    const run = await createCi();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const secrets = run.stdout.match(SECRET) ?? [];
    expect(secrets).toHaveLength(1);
    const secret = secrets[0]!;
    expect(run.stdout).toMatch(
      /^Created token tok_\w+ "ci" with stories:read, ci:events on acme\/\*, expires (\S+)\.\n/,
    );
    expect(run.stdout.endsWith(`${secret}\n`)).toBe(true);
    const expires = Date.parse(/expires (\S+)\.\n/.exec(run.stdout)![1]!);
    expect(expires - started).toBeGreaterThanOrEqual(30 * 86_400_000 - 1000);
    expect(expires - Date.now()).toBeLessThanOrEqual(30 * 86_400_000 + 1000);
    // The secret works for its scope, and only for it.
    expect((await http(server.url, 'GET', '/api/v1/stories', { token: secret })).status).toBe(200);
    expect((await http(server.url, 'GET', '/api/v1/tokens', { token: secret })).status).toBe(403);
  });

  it('create --json prints the whole answer including the secret', async () => {
    const run = await runCliInProcess([
      'token',
      'create',
      '--name',
      'deploy',
      '--scope',
      'deployments:write,ci:events',
      '--rate-limit',
      '100/minute',
      '--json',
      ...target,
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      name: 'deploy',
      scopes: ['deployments:write', 'ci:events'],
      repositories: null,
      rateLimit: '100/minute',
      expiresAt: null,
      token: expect.stringMatching(/^sfp_/),
    });
  });

  it('list shows the token with its hint but never its secret', async () => {
    const created = await createCi();
    const secret = created.stdout.match(SECRET)![0];
    const id = /Created token (tok_\w+)/.exec(created.stdout)![1]!;
    const run = await runCliInProcess(['token', 'list', ...target]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        `^${id} {2}${secret.slice(0, 8)}… {2}ci {2}\\[stories:read,ci:events\\] {2}repos: acme/\\* {2}expires \\S+ {2}last used: never\\n1 token\\(s\\)\\n$`,
      ),
    );
    expect(run.stdout).not.toContain(secret);
    expect(run.stdout).not.toContain(secret.slice(8));
    const json = await runCliInProcess(['token', 'list', '--json', ...target]);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ id, name: 'ci' })]);
    expect(json.stdout).not.toContain(secret);
  });

  it('revoke ID stops the token at once; list --all shows it revoked', async () => {
    const created = await createCi();
    const secret = created.stdout.match(SECRET)![0];
    const id = /Created token (tok_\w+)/.exec(created.stdout)![1]!;
    expect((await http(server.url, 'GET', '/api/v1/stories', { token: secret })).status).toBe(200);
    const run = await runCliInProcess(['token', 'revoke', id, ...target]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`Revoked token ${id}\n`);
    expect((await http(server.url, 'GET', '/api/v1/stories', { token: secret })).status).toBe(401);
    expect((await runCliInProcess(['token', 'list', ...target])).stdout).toBe('0 token(s)\n');
    const all = await runCliInProcess(['token', 'list', '--all', ...target]);
    expect(all.stdout).toMatch(new RegExp(`^${id} .* revoked {2}last used: \\S+\\n`));
  });

  it('--expires-in 3x is a usage error (exit 2) and creates nothing', async () => {
    const run = await runCliInProcess([
      'token',
      'create',
      '--name',
      'ci',
      '--scope',
      'stories:read',
      '--expires-in',
      '3x',
      ...target,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--expires-in');
    expect(run.stdout).toBe('');
    expect((await runCliInProcess(['token', 'list', ...target])).stdout).toBe('0 token(s)\n');
  });

  it('--expires-in and --expires-at together are a usage error (exit 2)', async () => {
    const run = await runCliInProcess([
      'token',
      'create',
      '--name',
      'ci',
      '--scope',
      'stories:read',
      '--expires-in',
      '30d',
      '--expires-at',
      '2099-01-01T00:00:00Z',
      ...target,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--expires-at.*cannot be used with.*--expires-in/);
    expect((await runCliInProcess(['token', 'list', ...target])).stdout).toBe('0 token(s)\n');
  });

  it('a refusal by the server exits 1 with its reason', async () => {
    const run = await runCliInProcess([
      'token',
      'create',
      '--name',
      'x',
      '--scope',
      'no-such-scope',
      ...target,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('failed with 400');
    expect(run.stderr).toContain('scopes.0');
    const missing = await runCliInProcess(['token', 'revoke', 'tok_missing', ...target]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404');
  });

  it('reads the server and token from STORYFLOW_URL and STORYFLOW_TOKEN', async () => {
    const run = await runCliInProcess(['token', 'list'], {
      STORYFLOW_URL: server.url,
      STORYFLOW_TOKEN: server.token,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('0 token(s)\n');
  });
});

describe('expiryFrom', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');
  it.each([
    ['30d', '2026-01-31T00:00:00.000Z'],
    ['12h', '2026-01-01T12:00:00.000Z'],
    ['90m', '2026-01-01T01:30:00.000Z'],
    ['45s', '2026-01-01T00:00:45.000Z'],
  ])('%s from now is %s', (duration, expected) => {
    expect(expiryFrom(duration, now)).toBe(expected);
  });

  it.each(['3x', '', 'd', '-1d', '1.5h', '30 days'])('refuses %j as a usage error', (duration) => {
    expect(() => expiryFrom(duration, now)).toThrow(CliError);
    try {
      expiryFrom(duration, now);
    } catch (error) {
      expect((error as CliError).exitCode).toBe(2);
    }
  });
});

describe('storyflow token list with an expired token', () => {
  it('says the token has expired rather than when it expires', async () => {
    // The server's clock is in the past, so a token it accepts is already expired today.
    const past = Date.parse('2020-06-01T00:00:00Z');
    const server = await startTestServer(await openStore('sqlite::memory:'), {
      clock: { now: () => new Date(past) },
    });
    try {
      const target = ['--url', server.url, '--token', server.token];
      const expiresAt = new Date(past + 3_600_000).toISOString();
      await runCliInProcess([
        'token',
        'create',
        '--name',
        'old',
        '--scope',
        'stories:read',
        '--expires-at',
        expiresAt,
        ...target,
      ]);
      await runCliInProcess([
        'token',
        'create',
        '--name',
        'forever',
        '--scope',
        'ci:events',
        ...target,
      ]);
      const run = await runCliInProcess(['token', 'list', ...target]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`old  [stories:read]  expired ${expiresAt}`);
      expect(run.stdout).toContain('forever  [ci:events]  active');
    } finally {
      await server.close();
    }
  });
});

describe('storyflow token list and revoke with tokens that created tokens', () => {
  it("shows each token's parent; revoking the parent revokes the child", async () => {
    const server = await startTestServer(await openStore('sqlite::memory:'));
    try {
      const target = ['--url', server.url];
      const parent = await runCliInProcess(
        ['token', 'create', '--name', 'manager', '--scope', 'tokens:admin', '--json', ...target],
        { STORYFLOW_TOKEN: server.token },
      );
      const manager = JSON.parse(parent.stdout);
      const child = await runCliInProcess(
        ['token', 'create', '--name', 'pipeline', '--scope', 'tokens:admin', '--json', ...target],
        { STORYFLOW_TOKEN: manager.token },
      );
      expect(child.code, child.stderr).toBe(0);
      const list = await runCliInProcess(['token', 'list', ...target], {
        STORYFLOW_TOKEN: server.token,
      });
      expect(list.stdout).toMatch(
        new RegExp(`pipeline  \\[tokens:admin\\]  parent: ${manager.id}  active`),
      );
      await runCliInProcess(['token', 'revoke', manager.id, ...target], {
        STORYFLOW_TOKEN: server.token,
      });
      const after = await runCliInProcess(['token', 'list', '--all', ...target], {
        STORYFLOW_TOKEN: server.token,
      });
      expect(after.stdout).toMatch(
        new RegExp(`pipeline  \\[tokens:admin\\]  parent: ${manager.id}  revoked`),
      );
    } finally {
      await server.close();
    }
  });
});
