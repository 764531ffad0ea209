// CI id tokens (GitHub Actions, GitLab CI) as bearer credentials: verified against the issuer's
// JWKS served over HTTP, then mapped to scopes by the configured policies.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWTPayload,
  type KeyObject,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';
import { openStore } from '../../src/storage/open-store.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';

const GITHUB = 'https://token.actions.githubusercontent.com';
const GITLAB = 'https://gitlab.example.com';
const AUDIENCE = 'storyflow-test';

const nowSeconds = () => Math.floor(Date.now() / 1000);

function githubClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: GITHUB,
    aud: AUDIENCE,
    sub: 'repo:acme/shop:ref:refs/heads/main',
    jti: crypto.randomUUID(),
    ref: 'refs/heads/main',
    sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    repository: 'acme/shop',
    repository_id: '456789',
    repository_owner: 'acme',
    repository_owner_id: '123456',
    repository_visibility: 'private',
    run_id: '9876543210',
    run_number: '42',
    run_attempt: '1',
    actor: 'octocat',
    actor_id: '583231',
    workflow: 'CI',
    workflow_ref: 'acme/shop/.github/workflows/ci.yml@refs/heads/main',
    job_workflow_ref: 'acme/shop/.github/workflows/ci.yml@refs/heads/main',
    event_name: 'push',
    ref_type: 'branch',
    environment: 'production',
    runner_environment: 'github-hosted',
    ...overrides,
  };
}

function gitlabClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: GITLAB,
    aud: AUDIENCE,
    sub: 'project_path:group/sub/project:ref_type:branch:ref:main',
    jti: crypto.randomUUID(),
    namespace_id: '72',
    namespace_path: 'group/sub',
    project_id: '20',
    project_path: 'group/sub/project',
    user_id: '5',
    user_login: 'alice',
    user_email: 'alice@example.com',
    pipeline_id: '574',
    pipeline_source: 'push',
    job_id: '302',
    ref: 'main',
    ref_type: 'branch',
    ref_path: 'refs/heads/main',
    ref_protected: 'true',
    environment: 'production',
    environment_protected: 'true',
    ...overrides,
  };
}

describe('OIDC id tokens from GitHub Actions and GitLab CI', () => {
  let jwks: Server;
  let server: TestServer;
  let trustedKey: KeyObject;
  let trustedPublicKey: KeyObject;
  let unknownKey: KeyObject;

  /** Signs like the CI provider: RS256 with the served key, valid for five minutes. */
  async function sign(
    claims: JWTPayload,
    options: {
      key?: KeyObject;
      kid?: string;
      iat?: number;
      exp?: number;
      nbf?: number;
      /** Claims left out of the token. */
      omit?: ('exp' | 'iat')[];
    } = {},
  ): Promise<string> {
    const iat = options.iat ?? nowSeconds();
    const omit = new Set(options.omit ?? []);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'ci-key-1', typ: 'JWT' })
      .setNotBefore(options.nbf ?? iat);
    if (!omit.has('iat')) jwt.setIssuedAt(iat);
    if (!omit.has('exp')) jwt.setExpirationTime(options.exp ?? iat + 300);
    return jwt.sign(options.key ?? trustedKey);
  }

  const listStories = (token: string) => http(server.url, 'GET', '/api/v1/stories', { token });
  let storyCounter = 0;
  const createStory = (token: string) => {
    storyCounter += 1;
    return http(server.url, 'POST', '/api/v1/stories', {
      token,
      json: { id: `OIDC-${storyCounter}`, title: 'Created from CI' },
    });
  };

  beforeAll(async () => {
    const trusted = await generateKeyPair('RS256', { extractable: true });
    trustedKey = trusted.privateKey as KeyObject;
    trustedPublicKey = trusted.publicKey as KeyObject;
    unknownKey = (await generateKeyPair('RS256')).privateKey as KeyObject;
    const jwk = {
      ...(await exportJWK(trusted.publicKey)),
      kid: 'ci-key-1',
      alg: 'RS256',
      use: 'sig',
    };
    jwks = createServer((request, response) => {
      if (request.url !== '/jwks') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`;
    server = await startTestServer(await openStore('sqlite::memory:'), {
      config: {
        oidc: {
          issuers: [
            { issuer: GITHUB, audience: [AUDIENCE], jwksUri },
            { issuer: GITLAB, audience: [AUDIENCE], jwksUri },
          ],
          policies: [
            {
              name: 'shop CI',
              issuer: GITHUB,
              claims: { repository: 'acme/shop' },
              scopes: ['stories:write'],
            },
            {
              name: 'group readers',
              issuer: GITLAB,
              claims: { project_path: 'group/**' },
              scopes: ['stories:read'],
            },
          ],
        },
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  it('a valid GitHub Actions token may read and write stories', async () => {
    const token = await sign(githubClaims());
    expect((await listStories(token)).status).toBe(200);
    const created = await createStory(token);
    expect(created.status).toBe(201);
  });

  it('a valid GitLab CI token from a subgroup may read but not write', async () => {
    const token = await sign(gitlabClaims());
    expect((await listStories(token)).status).toBe(200);
    const refused = await createStory(token);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ requiredScope: 'stories:write' });
  });

  it('a token issued for another audience is refused with 401', async () => {
    const answer = await listStories(await sign(githubClaims({ aud: 'someone-else' })));
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ reason: 'oidc-wrong-audience' });
  });

  it('an expired token is refused with 403; one expired within the 30 s tolerance passes', async () => {
    const now = nowSeconds();
    const expired = await sign(githubClaims(), { iat: now - 600, exp: now - 45 });
    const answer = await listStories(expired);
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ reason: 'oidc-expired' });
    const justExpired = await sign(githubClaims(), { iat: now - 600, exp: now - 10 });
    expect((await listStories(justExpired)).status).toBe(200);
  });

  it('a correctly signed token without exp or without iat is refused with 401', async () => {
    for (const omit of [['exp'], ['iat'], ['exp', 'iat']] as const) {
      const answer = await listStories(await sign(githubClaims(), { omit: [...omit] }));
      expect(answer.status, omit.join('+')).toBe(401);
      expect(answer.body, omit.join('+')).toMatchObject({ reason: 'oidc-invalid-token' });
    }
    // The same token with both claims passes.
    expect((await listStories(await sign(githubClaims()))).status).toBe(200);
  });

  it('a token not valid before a future time is refused with 401', async () => {
    const now = nowSeconds();
    const answer = await listStories(await sign(githubClaims(), { iat: now, nbf: now + 300 }));
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ reason: 'oidc-invalid-token' });
  });

  it('a token signed by a key the issuer does not publish is refused with 401', async () => {
    const unknownKid = await sign(githubClaims(), { key: unknownKey, kid: 'not-published' });
    expect((await listStories(unknownKid)).status).toBe(401);
    // A published kid does not help when the signature is made with another key.
    const forgedWithKnownKid = await sign(githubClaims(), { key: unknownKey });
    expect((await listStories(forgedWithKnownKid)).status).toBe(401);
  });

  it('a token from an issuer that is not trusted is refused with 401', async () => {
    const answer = await listStories(
      await sign(githubClaims({ iss: 'https://token.actions.evil.example.com' })),
    );
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ reason: 'oidc-untrusted-issuer' });
  });

  it('a token for a repository no policy maps is refused with 403', async () => {
    const other = githubClaims({
      repository: 'acme/web',
      repository_id: '111222',
      sub: 'repo:acme/web:ref:refs/heads/main',
    });
    const answer = await listStories(await sign(other));
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ reason: 'oidc-no-matching-policy' });
    const gitlabOutside = gitlabClaims({ project_path: 'other-group/project' });
    expect((await listStories(await sign(gitlabOutside))).status).toBe(403);
  });

  it('an unsigned (alg none) or HS256 token is refused with 401', async () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = nowSeconds();
    const payload = encode({ ...githubClaims(), iat: now, nbf: now, exp: now + 300 });
    const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    expect((await listStories(unsigned)).status).toBe(401);
    // The classic key confusion: an HMAC keyed with the issuer's public key.
    const publicPem = new TextEncoder().encode(await exportSPKI(trustedPublicKey));
    const hs256 = await new SignJWT(githubClaims())
      .setProtectedHeader({ alg: 'HS256', kid: 'ci-key-1', typ: 'JWT' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(publicPem);
    expect((await listStories(hs256)).status).toBe(401);
  });

  it('a tampered payload is refused with 401', async () => {
    const [header, , signature] = (await sign(gitlabClaims())).split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...gitlabClaims(), exp: nowSeconds() + 300 }),
    ).toString('base64url');
    expect((await listStories(`${header}.${forged}.${signature}`)).status).toBe(401);
  });

  it('counts refused id tokens by reason in /metrics', async () => {
    await listStories(await sign(githubClaims({ aud: 'someone-else' })));
    const metrics = (await http(server.url, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/storyflow_auth_failures_total\{reason="oidc-wrong-audience"\} [1-9]/);
  });
});

describe('OIDC policies in the config file', () => {
  function loadWith(yaml: string) {
    const dir = mkdtempSync(join(tmpdir(), 'storyflow-oidc-config-'));
    writeFileSync(join(dir, 'storyflow.config.yaml'), yaml);
    return () => loadConfig({ env: {}, cwd: dir });
  }

  const issuers = `oidc:
  issuers:
    - issuer: ${GITHUB}
      audience: storyflow
`;

  it('are read with the claims as strings and the issuer audience as a list', () => {
    const config = loadWith(`${issuers}  policies:
    - name: shop CI
      issuer: ${GITHUB}
      claims: { repository: acme/shop, repository_id: 456789 }
      scopes: [stories:write]
`)();
    expect(config.oidc.issuers).toEqual([{ issuer: GITHUB, audience: ['storyflow'] }]);
    expect(config.oidc.policies).toEqual([
      {
        name: 'shop CI',
        issuer: GITHUB,
        claims: { repository: 'acme/shop', repository_id: '456789' },
        scopes: ['stories:write'],
      },
    ]);
  });

  it('a policy naming an issuer that is not configured is refused, naming the key', () => {
    const load = loadWith(`${issuers}  policies:
    - issuer: https://gitlab.example.com
      claims: { project_path: group/** }
      scopes: [stories:read]
`);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/oidc\.policies\[0\]\.issuer/);
  });

  it('a policy naming an unknown scope is refused, naming the key', () => {
    const load = loadWith(`${issuers}  policies:
    - issuer: ${GITHUB}
      claims: { repository: acme/shop }
      scopes: [stories:read, stories:delete]
`);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/oidc\.policies\[0\]\.scopes\[1\].*stories:delete/);
  });
});
