// Walks every route of the OpenAPI document with every kind of credential, so a route added
// later without a guard fails here.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BATCH_OPERATION_KINDS } from '../../src/http/schemas/batch-schemas.js';
import type { BatchOperation } from '../../src/services/batch-service.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

/** Public: probes, metrics, and webhooks (which carry their own signatures). */
const PUBLIC_PATHS = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/webhooks/github',
  '/webhooks/gitlab',
  '/webhooks/gitea',
  '/webhooks/bitbucket',
  '/webhooks/azure-devops',
]);

interface Operation {
  method: string;
  path: string;
  scope: string | null;
}

function operationsOf(spec: any): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries<any>(spec.paths)) {
    for (const [method, operation] of Object.entries<any>(methods)) {
      const scope = operation.security?.[0]?.bearer?.[0] ?? null;
      operations.push({ method: method.toUpperCase(), path, scope });
    }
  }
  return operations;
}

const generousLimits = {
  perToken: { limit: 100_000, windowMs: 60_000 },
  perAddress: { limit: 100_000, windowMs: 60_000 },
  authFailures: { limit: 100_000, windowMs: 60_000 },
  webhookRefusals: { limit: 100_000, windowMs: 60_000 },
};

/**
 * One operation of each batch kind on story `id` (which exists), and the repository it acts on
 * (null: stories belong to no repository). Typed by the operation union, so a new kind does not
 * compile until it has a row here.
 */
const BATCH_SAMPLES: Record<
  BatchOperation['op'],
  (id: string) => { operation: BatchOperation; repository: string | null }
> = {
  create: (id) => ({
    operation: { op: 'create', story: { id: `${id}0`, title: 'M' } },
    repository: null,
  }),
  update: (id) => ({
    operation: { op: 'update', id, changes: { title: 'Changed' } },
    repository: null,
  }),
  transition: (id) => ({ operation: { op: 'transition', id, to: 'ready' }, repository: null }),
  link: (id) => ({
    operation: { op: 'link', id, link: { type: 'branch', repository: 'acme/shop', key: id } },
    repository: 'acme/shop',
  }),
  delete: (id) => ({ operation: { op: 'delete', id }, repository: null }),
  import: (id) => ({
    operation: { op: 'import', document: `---\nid: ${id}\ntitle: Imported\n---\n\n# ${id}\n` },
    repository: null,
  }),
};

function wrongScopeFor(scope: string): string {
  return scope === 'audit:read' ? 'ci:events' : 'audit:read';
}

describeEachStore('authorization on every route', (open) => {
  let server: TestServer;
  let clockNow = Date.parse('2026-01-01T00:00:00Z');
  const tokens: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    server = await startTestServer(await open(), {
      clock: { now: () => new Date(clockNow) },
      // This test refuses hundreds of requests from one address on purpose.
      config: { rateLimits: generousLimits },
    });
    const admin = { token: server.token };
    await http(server.url, 'POST', '/api/v1/stories/import', {
      ...admin,
      json: { documents: fixtureStories().map((story) => story.text) },
    });
    const create = async (body: Record<string, unknown>) =>
      (await http(server.url, 'POST', '/api/v1/tokens', { ...admin, json: body })).body;
    const spec = (await http(server.url, 'GET', '/openapi.json')).body;
    const scopes = new Set(
      operationsOf(spec)
        .map((operation) => operation.scope)
        .filter(Boolean),
    );
    for (const scope of scopes as Set<string>) {
      const right = await create({ name: `right ${scope}`, scopes: [scope] });
      const wrong = await create({ name: `wrong ${scope}`, scopes: [wrongScopeFor(scope)] });
      const expired = await create({
        name: `expired ${scope}`,
        scopes: [scope],
        expiresAt: new Date(clockNow + 60_000).toISOString(),
      });
      const revoked = await create({ name: `revoked ${scope}`, scopes: [scope] });
      await http(server.url, 'DELETE', `/api/v1/tokens/${revoked.id}`, admin);
      const otherRepository = await create({
        name: `other repo ${scope}`,
        scopes: [scope],
        repositories: ['someone-else/*'],
      });
      tokens[scope] = {
        right: right.token,
        wrong: wrong.token,
        expired: expired.token,
        revoked: revoked.token,
        otherRepository: otherRepository.token,
      };
    }
    clockNow += 120_000; // the "expired" tokens are now past their expiry
  });
  afterAll(async () => {
    await server.close();
  });

  it('every route is public or needs a declared scope, and guarded ones refuse every bad credential', async () => {
    const spec = (await http(server.url, 'GET', '/openapi.json')).body;
    const operations = operationsOf(spec);
    expect(operations.length).toBeGreaterThan(10);
    const rows: string[] = [];
    for (const { method, path, scope } of operations) {
      const url = path.replace('{id}', 'INT-003');
      const call = (token?: string) =>
        http(server.url, method, url, {
          ...(token === undefined ? {} : { token }),
          ...(method === 'GET' || method === 'DELETE' ? {} : { json: {} }),
        });
      if (scope === null) {
        expect(PUBLIC_PATHS.has(path), `${method} ${path} has no scope but is not public`).toBe(
          true,
        );
        // Webhooks are checked by their signatures (see webhooks-api.test.ts), not bearer tokens.
        if (!path.startsWith('/webhooks/')) expect((await call()).status).not.toBe(401);
        continue;
      }
      expect(path.startsWith('/api/v1/'), `${method} ${path}`).toBe(true);
      const set = tokens[scope]!;
      const statuses = {
        none: (await call()).status,
        wrongScope: (await call(set.wrong)).status,
        expired: (await call(set.expired)).status,
        revoked: (await call(set.revoked)).status,
        garbage: (await call('sfp_not-a-real-token')).status,
        otherRepository: (await call(set.otherRepository)).status,
        right: (await call(set.right)).status,
      };
      rows.push(`${method} ${path} ${JSON.stringify(statuses)}`);
      expect(statuses, `${method} ${path}`).toMatchObject({
        none: 401,
        wrongScope: 403,
        expired: 401,
        revoked: 401,
        garbage: 401,
      });
      // Stories and tokens belong to no repository: a repository-limited token may use them.
      expect([401, 403], `${method} ${path} otherRepository`).not.toContain(
        statuses.otherRepository,
      );
      expect([401, 403], `${method} ${path} right`).not.toContain(statuses.right);
    }
    expect(rows.length).toBeGreaterThan(8);
  });

  it('every batch operation kind is guarded like its own route, repositories included', async () => {
    const admin = server.token;
    const set = tokens['stories:write']!;
    const acme = (
      await http(server.url, 'POST', '/api/v1/tokens', {
        token: admin,
        json: { name: 'acme batch', scopes: ['stories:write'], repositories: ['acme/*'] },
      })
    ).body.token as string;
    let next = 0;
    /** A story of its own for each call, then one operation of `kind` on it, not atomic. */
    const call = async (kind: BatchOperation['op'], token?: string) => {
      const id = `MTX-${++next}`;
      const made = await http(server.url, 'POST', '/api/v1/stories', {
        token: admin,
        json: { id, title: 'Matrix' },
      });
      expect(made.status).toBe(201);
      const answer = await http(server.url, 'POST', '/api/v1/batch', {
        ...(token === undefined ? {} : { token }),
        json: { atomic: false, operations: [BATCH_SAMPLES[kind](id).operation] },
      });
      return answer.status === 200 ? (answer.body.results[0].status as number) : answer.status;
    };
    const kinds = new Set(BATCH_OPERATION_KINDS);
    expect(new Set(Object.keys(BATCH_SAMPLES))).toEqual(kinds);
    expect(kinds.size).toBeGreaterThanOrEqual(6);
    const ok = (status: number) => status >= 200 && status < 300;
    for (const kind of BATCH_OPERATION_KINDS) {
      const { repository } = BATCH_SAMPLES[kind]('MTX-0');
      const statuses = {
        none: await call(kind),
        wrongScope: await call(kind, set.wrong),
        expired: await call(kind, set.expired),
        revoked: await call(kind, set.revoked),
        garbage: await call(kind, 'sfp_not-a-real-token'),
        otherRepository: await call(kind, set.otherRepository),
        inRepository: await call(kind, acme),
        right: await call(kind, set.right),
      };
      const row = `batch ${kind} ${JSON.stringify(statuses)}`;
      expect(statuses, row).toMatchObject({
        none: 401,
        wrongScope: 403,
        garbage: 401,
        expired: 401,
        revoked: 401,
      });
      expect(ok(statuses.right), row).toBe(true);
      expect(ok(statuses.inRepository), row).toBe(true);
      // An operation on a repository the token does not cover is refused; others are not.
      if (repository === null) expect(ok(statuses.otherRepository), row).toBe(true);
      else expect(statuses.otherRepository, row).toBe(403);
    }
  });

  it('a bad credential is 401 invalid_token; a valid one without the scope or repository is 403 insufficient_scope (RFC 6750)', async () => {
    const set = tokens['stories:read']!;
    const challenge = async (token: string | undefined, path = '/api/v1/stories') => {
      const answer = await http(server.url, 'GET', path, token === undefined ? {} : { token });
      return {
        status: answer.status,
        challenge: answer.headers.get('www-authenticate'),
        reason: answer.body.reason,
      };
    };
    expect(await challenge(undefined)).toEqual({
      status: 401,
      challenge: 'Bearer realm="storyflow"',
      reason: 'missing',
    });
    const invalid = 'Bearer realm="storyflow", error="invalid_token"';
    expect(await challenge(set.expired)).toEqual({
      status: 401,
      challenge: invalid,
      reason: 'token-expired',
    });
    expect(await challenge(set.revoked)).toEqual({
      status: 401,
      challenge: invalid,
      reason: 'token-revoked',
    });
    expect(await challenge('sfp_not-a-real-token')).toEqual({
      status: 401,
      challenge: invalid,
      reason: 'unknown-token',
    });
    expect(await challenge(set.wrong)).toEqual({
      status: 403,
      challenge: 'Bearer realm="storyflow", error="insufficient_scope", scope="stories:read"',
      reason: undefined,
    });
    // A repository the token does not cover is a 403 of the same kind.
    const otherRepository = await http(server.url, 'POST', '/api/v1/ci/events', {
      token: tokens['ci:events']!.otherRepository!,
      json: { kind: 'push', repository: 'acme/shop', branch: 'main', sha: 'a'.repeat(40) },
    });
    expect(otherRepository.status, otherRepository.text).toBe(403);
    expect(otherRepository.headers.get('www-authenticate')).toBe(
      'Bearer realm="storyflow", error="insufficient_scope"',
    );
  });

  it('a refused request is a problem+json naming the reason, and counted in /metrics', async () => {
    const none = await http(server.url, 'GET', '/api/v1/stories');
    expect(none.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(none.body).toMatchObject({
      type: 'urn:storyflow:problem:unauthorized',
      reason: 'missing',
    });
    const metrics = (await http(server.url, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/storyflow_auth_failures_total\{reason="missing"\} [1-9]/);
    expect(metrics).toMatch(/storyflow_auth_failures_total\{reason="token-revoked"\} [1-9]/);
    expect(metrics).toMatch(/storyflow_auth_failures_total\{reason="missing-scope"\} [1-9]/);
  });
});
