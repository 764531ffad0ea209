// API tokens over HTTP: the secret is shown once and stored only as a hash, scopes and
// repositories never grow beyond the creator's, revocation is immediate, and a fresh server
// hands out exactly one bootstrap admin token.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open-store.js';
import type { Store } from '../../src/storage/store.js';
import { http } from '../support/http.js';
import { BIN } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

/** `sfp_` and at least 256 bits of base64url. */
const SECRET = /^sfp_[A-Za-z0-9_-]{43,}$/;

async function tokenRows(store: Store): Promise<Record<string, unknown>[]> {
  return (store as any).kysely.selectFrom('api_tokens').selectAll().execute();
}

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const value = await probe();
    if (done(value) || attempt >= 50) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeEachStore('API tokens', (open) => {
  let server: TestServer;
  const api = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token, ...options });
  const createToken = (json: Record<string, unknown>, token = server.token) =>
    api('POST', '/tokens', { json, token });
  const newStory = (id: string) => ({ json: { id, title: `Story ${id}` } });

  beforeEach(async () => {
    server = await startTestServer(await open());
  });
  afterEach(async () => {
    await server.close();
  });

  it('creating a token answers 201 with an sfp_ secret of 256 bits, a hint and a Location', async () => {
    const first = await createToken({ name: 'ci', scopes: ['stories:read'] });
    const second = await createToken({ name: 'ci', scopes: ['stories:read'] });
    expect(first.status).toBe(201);
    expect(first.body.token).toMatch(SECRET);
    expect(first.body.token).not.toBe(second.body.token);
    expect(first.body).toMatchObject({
      name: 'ci',
      scopes: ['stories:read'],
      repositories: null,
      expiresAt: null,
      createdBy: 'env:STORYFLOW_ADMIN_TOKEN',
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(first.body.id).toMatch(/^tok_/);
    expect(first.headers.get('location')).toBe(`/api/v1/tokens/${first.body.id}`);
    expect(first.body.hint).toBe(`${first.body.token.slice(0, 8)}…`);
  });

  it('never shows the secret again: listed tokens carry only a hint', async () => {
    const created = (await createToken({ name: 'ci', scopes: ['stories:read'] })).body;
    const list = await api('GET', '/tokens');
    expect(list.status).toBe(200);
    const item = list.body.items.find((token: { id: string }) => token.id === created.id);
    expect(item).toMatchObject({ id: created.id, name: 'ci', hint: created.hint });
    expect(item).not.toHaveProperty('token');
    expect(item).not.toHaveProperty('secretHash');
    expect(list.text).not.toContain(created.token);
    expect(list.text).not.toContain(created.token.slice(8));
  });

  it('the database holds only a SHA-256 hash of the secret, in no column the secret itself', async () => {
    const created = (await createToken({ name: 'ci', scopes: ['stories:read'] })).body;
    const rows = await tokenRows(server.store);
    const row = rows.find((candidate) => candidate.id === created.id)!;
    expect(row).toBeDefined();
    for (const [column, value] of Object.entries(row)) {
      expect(String(value), column).not.toContain(created.token);
      expect(String(value), column).not.toContain(created.token.slice(8));
    }
    expect(row.secret_hash).toBe(createHash('sha256').update(created.token).digest('hex'));
  });

  it('a new token works within its scope and is refused with 403 outside it', async () => {
    const reader = (await createToken({ name: 'reader', scopes: ['stories:read'] })).body.token;
    const writer = (await createToken({ name: 'writer', scopes: ['stories:write'] })).body.token;
    expect((await api('GET', '/stories', { token: reader })).status).toBe(200);
    const refused = await api('POST', '/stories', { token: reader, ...newStory('TOK-1') });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      type: 'urn:storyflow:problem:forbidden',
      requiredScope: 'stories:write',
    });
    expect((await api('GET', '/tokens', { token: reader })).status).toBe(403);
    expect((await api('POST', '/stories', { token: writer, ...newStory('TOK-2') })).status).toBe(
      201,
    );
    // stories:write includes stories:read
    expect((await api('GET', '/stories/TOK-2', { token: writer })).status).toBe(200);
  });

  it('a revoked token is refused with 401 invalid_token at once and listed only with includeRevoked', async () => {
    const created = (await createToken({ name: 'ci', scopes: ['stories:read'] })).body;
    expect((await api('GET', '/stories', { token: created.token })).status).toBe(200);
    const revoked = await api('DELETE', `/tokens/${created.id}`);
    expect(revoked.status).toBe(204);
    const refused = await api('GET', '/stories', { token: created.token });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(refused.body).toMatchObject({ reason: 'token-revoked' });
    const active = await api('GET', '/tokens');
    expect(active.body.items.map((token: { id: string }) => token.id)).not.toContain(created.id);
    const all = await api('GET', '/tokens?includeRevoked=true');
    const item = all.body.items.find((token: { id: string }) => token.id === created.id);
    expect(item.revokedAt).toEqual(expect.any(String));
    expect((await api('DELETE', `/tokens/${created.id}`)).status).toBe(204);
    expect((await api('DELETE', '/tokens/tok_missing')).status).toBe(404);
  });

  it('an expiresAt in the past is a 400 naming expiresAt', async () => {
    const answer = await createToken({
      name: 'old',
      scopes: ['stories:read'],
      expiresAt: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body.type).toBe('urn:storyflow:problem:validation');
    expect(answer.body.errors).toContainEqual(expect.objectContaining({ field: 'expiresAt' }));
    expect(await tokenRows(server.store)).toEqual([]);
  });

  it('an expiresAt in the future is kept, and the token works until then', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const created = await createToken({ name: 'soon', scopes: ['stories:read'], expiresAt });
    expect(created.status).toBe(201);
    expect(created.body.expiresAt).toBe(expiresAt);
    expect((await api('GET', '/stories', { token: created.body.token })).status).toBe(200);
  });

  it('an unknown scope is a 400 naming scopes.0', async () => {
    const answer = await createToken({ name: 'bad', scopes: ['stories:delete'] });
    expect(answer.status).toBe(400);
    expect(answer.body.type).toBe('urn:storyflow:problem:validation');
    expect(answer.body.errors.map((error: { field: string }) => error.field)).toContain('scopes.0');
    expect((await createToken({ name: 'none', scopes: [] })).status).toBe(400);
    expect(await tokenRows(server.store)).toEqual([]);
  });

  it('a tokens:admin token cannot create an admin token or one with a scope it lacks', async () => {
    const manager = (await createToken({ name: 'manager', scopes: ['tokens:admin'] })).body.token;
    const admin = await createToken({ name: 'escalate', scopes: ['admin'] }, manager);
    expect(admin.status).toBe(403);
    expect(admin.body.detail).toContain('admin');
    const reader = await createToken({ name: 'reader', scopes: ['stories:read'] }, manager);
    expect(reader.status).toBe(403);
    expect(reader.body.detail).toContain('stories:read');
    // What it holds it may hand on, including what its scopes imply.
    expect((await createToken({ name: 'peer', scopes: ['tokens:admin'] }, manager)).status).toBe(
      201,
    );
    const writerManager = (
      await createToken({ name: 'writer manager', scopes: ['tokens:admin', 'stories:write'] })
    ).body.token;
    const implied = await createToken({ name: 'r', scopes: ['stories:read'] }, writerManager);
    expect(implied.status).toBe(201);
    expect(implied.body.createdBy).toMatch(/^tok_/);
  });

  it('a repository-limited creator cannot create an unrestricted token or one for other repositories', async () => {
    const limited = (
      await createToken({
        name: 'acme manager',
        scopes: ['tokens:admin', 'ci:events'],
        repositories: ['acme/*'],
      })
    ).body.token;
    const unrestricted = await createToken({ name: 'any', scopes: ['ci:events'] }, limited);
    expect(unrestricted.status).toBe(403);
    const explicitNull = await createToken(
      { name: 'any', scopes: ['ci:events'], repositories: null },
      limited,
    );
    expect(explicitNull.status).toBe(403);
    const other = await createToken(
      { name: 'other', scopes: ['ci:events'], repositories: ['acme/shop', 'globex/*'] },
      limited,
    );
    expect(other.status).toBe(403);
    expect(other.body.detail).toContain('globex/*');
    const inside = await createToken(
      { name: 'shop', scopes: ['ci:events'], repositories: ['acme/shop'] },
      limited,
    );
    expect(inside.status).toBe(201);
    expect(inside.body.repositories).toEqual(['acme/shop']);
    // A wider glob is not inside a narrower one: acme/** also covers acme/a/b.
    for (const wider of ['acme/**', '**/shop', '*']) {
      const escalated = await createToken(
        { name: 'wider', scopes: ['ci:events'], repositories: [wider] },
        limited,
      );
      expect(escalated.status, wider).toBe(403);
    }
  });

  it('a token cannot create a token that outlives it: left out, the expiry is its own', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const shortLived = (
      await createToken({ name: 'shortlived', scopes: ['tokens:admin'], expiresAt })
    ).body.token;
    const forever = await createToken({ name: 'forever', scopes: ['tokens:admin'] }, shortLived);
    expect(forever.status).toBe(201);
    expect(forever.body.expiresAt).toBe(expiresAt);
    const later = await createToken(
      {
        name: 'later',
        scopes: ['tokens:admin'],
        expiresAt: new Date(Date.now() + 7_200_000).toISOString(),
      },
      shortLived,
    );
    expect(later.status).toBe(403);
    expect(later.body).toMatchObject({ field: 'expiresAt', maxExpiresAt: expiresAt });
    expect(later.body.detail).toContain('expiresAt');
    const explicitNever = await createToken(
      { name: 'never', scopes: ['tokens:admin'], expiresAt: null },
      shortLived,
    );
    expect(explicitNever.body.expiresAt).toBe(expiresAt);
    const sooner = new Date(Date.now() + 600_000).toISOString();
    const inside = await createToken(
      { name: 'sooner', scopes: ['tokens:admin'], expiresAt: sooner },
      shortLived,
    );
    expect(inside.status).toBe(201);
    expect(inside.body.expiresAt).toBe(sooner);
  });

  it('a token cannot create a token with a higher rate limit: left out, the limit is its own', async () => {
    const slow = (
      await createToken({ name: 'slow', scopes: ['tokens:admin'], rateLimit: '5/minute' })
    ).body.token;
    const inherited = await createToken({ name: 'child', scopes: ['tokens:admin'] }, slow);
    expect(inherited.status).toBe(201);
    expect(inherited.body.rateLimit).toBe('5/minute');
    const faster = await createToken(
      { name: 'fast', scopes: ['tokens:admin'], rateLimit: '600/minute' },
      inherited.body.token,
    );
    expect(faster.status).toBe(403);
    expect(faster.body).toMatchObject({ field: 'rateLimit', maxRateLimit: '5/minute' });
    // Compared per second: 10/2m is the same rate as 5/minute.
    const same = await createToken(
      { name: 'same', scopes: ['tokens:admin'], rateLimit: '10/2m' },
      inherited.body.token,
    );
    expect(same.status).toBe(201);
    // A token on the server's default (600/minute) cannot raise itself past it...
    const plain = (await createToken({ name: 'plain', scopes: ['tokens:admin', 'stories:read'] }))
      .body.token;
    const raised = await createToken(
      { name: 'raised', scopes: ['stories:read'], rateLimit: '6000/minute' },
      plain,
    );
    expect(raised.status).toBe(403);
    expect(raised.body.detail).toContain('600/60000ms (the default)');
    expect(
      (
        await createToken(
          { name: 'lower', scopes: ['stories:read'], rateLimit: '10/second' },
          plain,
        )
      ).status,
    ).toBe(201);
    // ...while STORYFLOW_ADMIN_TOKEN, the operator's own credential, may grant any.
    const granted = await createToken({
      name: 'busy pipeline',
      scopes: ['ci:events'],
      rateLimit: '6000/minute',
    });
    expect(granted.status).toBe(201);
    expect(granted.body).toMatchObject({ rateLimit: '6000/minute', parentId: null });
  });

  it('revoking a token revokes every token it created, and theirs; the listing shows the parent', async () => {
    const parent = (await createToken({ name: 'parent', scopes: ['tokens:admin', 'stories:read'] }))
      .body;
    const child = (
      await createToken({ name: 'child', scopes: ['tokens:admin', 'stories:read'] }, parent.token)
    ).body;
    const grandchild = (
      await createToken({ name: 'grandchild', scopes: ['stories:read'] }, child.token)
    ).body;
    const bystander = (await createToken({ name: 'bystander', scopes: ['stories:read'] })).body;
    expect(child.parentId).toBe(parent.id);
    expect(grandchild.parentId).toBe(child.id);
    const listed = (await api('GET', '/tokens')).body.items as any[];
    expect(listed.find((token) => token.id === grandchild.id)).toMatchObject({
      parentId: child.id,
      createdBy: child.id,
    });
    expect((await api('GET', '/stories', { token: grandchild.token })).status).toBe(200);

    expect((await api('DELETE', `/tokens/${parent.id}`)).status).toBe(204);
    for (const revoked of [parent, child, grandchild]) {
      const refused = await api('GET', '/stories', { token: revoked.token });
      expect([401, 403], revoked.name).toContain(refused.status);
      expect(refused.body.reason, revoked.name).toBe('token-revoked');
    }
    expect((await api('GET', '/stories', { token: bystander.token })).status).toBe(200);
    const all = (await api('GET', '/tokens?includeRevoked=true')).body.items as any[];
    for (const id of [parent.id, child.id, grandchild.id]) {
      expect(all.find((token) => token.id === id).revokedAt, id).not.toBeNull();
    }
    const audit = (await api('GET', '/audit?action=token.revoked&limit=10')).body.items as any[];
    expect(audit.map((entry) => [entry.targetId, entry.reason]).sort()).toEqual(
      [
        [parent.id, null],
        [child.id, `revoked with ${parent.id}, which created it`],
        [grandchild.id, `revoked with ${child.id}, which created it`],
      ].sort(),
    );
    // A revoked token creates nothing more.
    expect(
      (await createToken({ name: 'late', scopes: ['stories:read'] }, child.token)).status,
    ).not.toBe(201);
  });

  it('records last_used_at once the token is used', async () => {
    const created = (await createToken({ name: 'ci', scopes: ['stories:read'] })).body;
    const before = await tokenRows(server.store);
    expect(before.find((row) => row.id === created.id)?.last_used_at).toBeNull();
    const usedAfter = Date.now();
    expect((await api('GET', '/stories', { token: created.token })).status).toBe(200);
    const rows = await eventually(
      () => tokenRows(server.store),
      (current) => current.find((row) => row.id === created.id)?.last_used_at != null,
    );
    const lastUsedAt = rows.find((row) => row.id === created.id)?.last_used_at as string;
    expect(Date.parse(lastUsedAt)).toBeGreaterThanOrEqual(usedAfter - 1000);
    const listed = await api('GET', '/tokens');
    const item = listed.body.items.find((token: { id: string }) => token.id === created.id);
    expect(item.lastUsedAt).toBe(lastUsedAt);
  });
});

describeEachStore('bootstrap admin token', (open) => {
  it('is created once on a store without tokens and without STORYFLOW_ADMIN_TOKEN', async () => {
    const server = await startTestServer(await open(), { config: { adminTokens: [] } });
    try {
      const secret = await server.services.tokens.bootstrapAdminToken();
      expect(secret).toMatch(SECRET);
      expect(await server.services.tokens.bootstrapAdminToken()).toBeNull();
      // It is an admin token that can create scoped tokens; the env admin token is not accepted.
      const list = await http(server.url, 'GET', '/api/v1/tokens', { token: secret! });
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([
        expect.objectContaining({ name: 'bootstrap admin', scopes: ['admin'] }),
      ]);
      expect(list.text).not.toContain(secret);
      const created = await http(server.url, 'POST', '/api/v1/tokens', {
        token: secret!,
        json: { name: 'ci', scopes: ['stories:read'] },
      });
      expect(created.status).toBe(201);
      expect(
        (await http(server.url, 'GET', '/api/v1/tokens', { token: server.token })).status,
      ).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('is created by exactly one of several instances starting together', async () => {
    const server = await startTestServer(await open(), { config: { adminTokens: [] } });
    try {
      const secrets = await Promise.all([
        server.services.tokens.bootstrapAdminToken(),
        server.services.tokens.bootstrapAdminToken(),
        server.services.tokens.bootstrapAdminToken(),
      ]);
      expect(secrets.filter((secret) => secret !== null)).toHaveLength(1);
      expect(await tokenRows(server.store)).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('is not created when STORYFLOW_ADMIN_TOKEN is set or a token exists', async () => {
    const withEnvToken = await startTestServer(await open());
    expect(await withEnvToken.services.tokens.bootstrapAdminToken()).toBeNull();
    expect(await tokenRows(withEnvToken.store)).toEqual([]);
    const created = await http(withEnvToken.url, 'POST', '/api/v1/tokens', {
      token: withEnvToken.token,
      json: { name: 'existing', scopes: ['stories:read'] },
    });
    expect(created.status).toBe(201);
    await withEnvToken.app.close();
    // The same database, now without STORYFLOW_ADMIN_TOKEN: a token exists, so none is made.
    const withToken = await startTestServer(withEnvToken.store, { config: { adminTokens: [] } });
    try {
      expect(await withToken.services.tokens.bootstrapAdminToken()).toBeNull();
      expect(await tokenRows(withToken.store)).toHaveLength(1);
    } finally {
      await withToken.close();
    }
  });
});

// The real executable, so the bootstrap token is checked where an operator sees it: the log.
const built = existsSync(fileURLToPath(new URL('../../dist/main.js', import.meta.url)));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface Served {
  lines: Record<string, any>[];
  output: () => string;
  stop(): Promise<number | null>;
}

/** Starts `storyflow serve` and resolves once it logs that it listens. */
function serve(dir: string, port: number): Promise<Served> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [BIN, 'serve'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      STORYFLOW_DATABASE_URL: `sqlite:${join(dir, 'storyflow.db')}`,
      STORYFLOW_PORT: String(port),
      STORYFLOW_HOST: '127.0.0.1',
      STORYFLOW_LOG_LEVEL: 'info',
    },
  });
  let stdout = '';
  let stderr = '';
  const lines: Record<string, any>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const served: Served = {
    lines,
    output: () => stdout + stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`storyflow serve did not start:\n${stdout}${stderr}`));
    }, 20_000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const complete = stdout.split('\n').slice(0, -1);
      lines.splice(0, lines.length, ...complete.map((line) => JSON.parse(line)));
      if (lines.some((line) => String(line.msg).startsWith('storyflow listening'))) {
        clearTimeout(timer);
        resolve(served);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`storyflow serve exited with ${code}:\n${stdout}${stderr}`));
    });
  });
}

(built ? describe : describe.skip)(
  'storyflow serve on a new database (built bin/storyflow)',
  () => {
    it('prints a bootstrap admin token once in its log, and not again after a restart', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'storyflow-bootstrap-'));
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;

      const first = await serve(dir, port);
      let secret: string;
      try {
        const announced = first.lines.filter((line) => line.bootstrapToken !== undefined);
        expect(announced).toHaveLength(1);
        secret = announced[0]!.bootstrapToken;
        expect(secret).toMatch(SECRET);
        expect(announced[0]!.msg).toContain(secret);
        expect(first.output().split(secret).length - 1).toBe(2); // the field and the message
        expect((await http(base, 'GET', '/api/v1/tokens', { token: secret })).status).toBe(200);
      } finally {
        expect(await first.stop()).toBe(0);
      }

      const second = await serve(dir, port);
      try {
        expect(second.output()).not.toContain('sfp_');
        expect(second.lines.filter((line) => line.bootstrapToken !== undefined)).toEqual([]);
        // The first token, stored as a hash, still works after the restart.
        expect((await http(base, 'GET', '/api/v1/tokens', { token: secret })).status).toBe(200);
      } finally {
        expect(await second.stop()).toBe(0);
      }
    });
  },
);

describe('bootstrap token on a file database', () => {
  it('survives reopening the store: a second bootstrap returns null', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'storyflow-bootstrap-file-')), 'db.sqlite');
    const first = await startTestServer(await openStore(`sqlite:${file}`), {
      config: { adminTokens: [] },
    });
    let secret: string | null;
    try {
      secret = await first.services.tokens.bootstrapAdminToken();
      expect(secret).toMatch(SECRET);
    } finally {
      await first.close();
    }
    const second = await startTestServer(await openStore(`sqlite:${file}`), {
      config: { adminTokens: [] },
    });
    try {
      expect(await second.services.tokens.bootstrapAdminToken()).toBeNull();
      expect((await http(second.url, 'GET', '/api/v1/tokens', { token: secret! })).status).toBe(
        200,
      );
    } finally {
      await second.close();
    }
  });
});
