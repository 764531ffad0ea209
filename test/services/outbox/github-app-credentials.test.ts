// GitHub App credentials (`forges[].app`): the private key is read and checked when the config
// loads (errors name the key, never quote it); installation tokens are minted from the entry's
// apiUrl with the app's RS256 JWT (checked by the fake GitHub with the app's public key), the
// installation looked up when the config does not name it, and a token is minted again when it
// nears its expiry.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';
import {
  GithubCredentials,
  TOKEN_REFRESH_MARGIN_MS,
} from '../../../src/services/outbox/github-credentials.js';
import { type FakeGithub, startFakeGithub } from '../../support/fake-github.js';
import { appKeyPair, fakeGithubApp } from '../../support/fake-github-app.js';

const keys = appKeyPair();

function configDir(yaml: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'storyflow-app-'));
  writeFileSync(join(dir, 'storyflow.config.yaml'), yaml);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('forges[].app in the config', () => {
  it('reads the private key from a file or a variable, with the app and installation ids', () => {
    const dir = configDir(
      'forges:\n' +
        '  - provider: github\n    owner: acme\n' +
        '    app: { id: 123, privateKeyFile: app.pem, installationId: 456 }\n' +
        '  - provider: github\n    repository: other/shop\n' +
        '    app: { id: 123, privateKeyEnv: APP_KEY }\n',
      { 'app.pem': keys.privateKeyPem },
    );
    const { forges } = loadConfig({
      env: { APP_KEY: keys.privateKeyPem.replace(/\n/g, '\\n') },
      cwd: dir,
    });
    expect(forges.map((forge) => [forge.token, forge.app?.id, forge.app?.installationId])).toEqual([
      [null, 123, 456],
      [null, 123, null],
    ]);
    for (const forge of forges) expect(forge.app?.privateKey).toMatch(/^-----BEGIN PRIVATE KEY/);
  });

  it('a key that cannot be read or is not an RSA PEM key is refused naming its key, never quoting it', () => {
    const broken = keys.privateKeyPem.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
    const cases: [string, Record<string, string>, Record<string, string>, string, string][] = [
      ['privateKeyFile: missing.pem', {}, {}, 'forges[0].app.privateKeyFile', 'cannot be read'],
      [
        'privateKeyFile: app.pem',
        { 'app.pem': 'ghp_not_a_key' },
        {},
        'forges[0].app.privateKeyFile',
        'is not a PEM private key',
      ],
      [
        'privateKeyFile: app.pem',
        { 'app.pem': broken },
        {},
        'forges[0].app.privateKeyFile',
        'not a readable RSA private key',
      ],
      ['privateKeyEnv: NOPE', {}, {}, 'forges[0].app.privateKeyEnv', 'NOPE is not set'],
      [
        'privateKeyFile: app.pem, privateKeyEnv: K',
        { 'app.pem': keys.privateKeyPem },
        { K: keys.privateKeyPem },
        'forges[0].app',
        'exactly one of privateKeyFile and privateKeyEnv',
      ],
    ];
    for (const [app, files, env, key, message] of cases) {
      const dir = configDir(
        `forges:\n  - { provider: github, owner: acme, app: { id: 1, ${app} } }\n`,
        files,
      );
      const error = configErrorOf(() => loadConfig({ env, cwd: dir }));
      expect(error.key, app).toMatch(new RegExp(`${key.replace(/[.[\]]/g, '\\$&')}$`));
      expect(error.message, app).toContain(message);
      expect(error.message).not.toContain('PRIVATE KEY');
      expect(error.message).not.toContain('ghp_not_a_key');
    }
  });

  it('a token and an app on one entry are refused', () => {
    const dir = configDir(
      'forges:\n  - { provider: github, owner: acme, token: { env: T }, app: { id: 1, privateKeyFile: app.pem } }\n',
      { 'app.pem': keys.privateKeyPem },
    );
    expect(configErrorOf(() => loadConfig({ env: { T: 'x' }, cwd: dir })).message).toContain(
      'not both',
    );
  });
});

describe('installation tokens', () => {
  let github: FakeGithub;
  afterEach(async () => {
    expect(github.malformed).toEqual([]);
    await github.close();
  });

  async function start(installationId: number | null) {
    let now = Date.parse('2026-12-04T10:00:00Z');
    const app = fakeGithubApp(123, keys.publicKey, { acme: 456 });
    app.now = () => now;
    github = await startFakeGithub('ghp_unused', app);
    const privateKey = loadConfig({
      env: { K: keys.privateKeyPem },
      cwd: configDir(
        'forges:\n  - { provider: github, owner: acme, app: { id: 123, privateKeyEnv: K } }\n',
      ),
    }).forges[0]?.app?.privateKey as string;
    const credentials = new GithubCredentials(
      { apiUrl: github.url, token: null, app: { id: 123, privateKey, installationId } },
      fetch,
      () => now,
    );
    return { credentials, advance: (ms: number) => (now += ms) };
  }
  const calls = () => github.requests.map((request) => `${request.method} ${request.path}`);

  it('mints an installation token with the app JWT at apiUrl, and reuses it while it is fresh', async () => {
    const { credentials } = await start(456);
    const first = await credentials.authorization('acme/shop');
    expect(first).toMatch(/^Bearer ghs_fake/);
    expect(await credentials.authorization('acme/shop')).toBe(first);
    expect(calls()).toEqual(['POST /app/installations/456/access_tokens']);
    expect(github.app?.tokens.get(first.slice('Bearer '.length))?.installationId).toBe(456);
  });

  it('mints a new token when the old one is within the refresh margin of its expiry', async () => {
    const { credentials, advance } = await start(456);
    const first = await credentials.authorization('acme/shop');
    // An hour's token: still used 50 minutes later…
    advance(50 * 60_000);
    expect(await credentials.authorization('acme/shop')).toBe(first);
    // …but not once less than the margin is left.
    advance(10 * 60_000 - TOKEN_REFRESH_MARGIN_MS + 1000);
    const second = await credentials.authorization('acme/shop');
    expect(second).not.toBe(first);
    expect(calls()).toEqual([
      'POST /app/installations/456/access_tokens',
      'POST /app/installations/456/access_tokens',
    ]);
  });

  it('without installationId, looks the installation up once per owner (repository, then org or user)', async () => {
    const { credentials } = await start(null);
    await credentials.authorization('acme/shop');
    await credentials.authorization('acme/other');
    await credentials.authorization('acme');
    expect(calls()).toEqual([
      'GET /repos/acme/shop/installation',
      'POST /app/installations/456/access_tokens',
    ]);
    await expect(credentials.authorization('nobody/repo')).rejects.toThrow(
      /GitHub App is not installed on nobody\/repo/,
    );
    await expect(credentials.authorization('nobody')).rejects.toThrow(
      /GET \/orgs\/nobody\/installation.*|GET \/users\/nobody\/installation/,
    );
    expect(calls().slice(2)).toEqual([
      'GET /repos/nobody/repo/installation',
      'GET /orgs/nobody/installation',
      'GET /users/nobody/installation',
    ]);
  });

  it('the app JWT GitHub checks is signed by the app key: another key is refused', async () => {
    const { credentials } = await start(456);
    const other = new GithubCredentials(
      {
        apiUrl: github.url,
        token: null,
        app: { id: 123, privateKey: appKeyPair().privateKeyPem, installationId: 456 },
      },
      fetch,
    );
    await expect(other.authorization('acme/shop')).rejects.toThrow(/401/);
    await expect(credentials.authorization('acme/shop')).resolves.toMatch(/^Bearer ghs_/);
  });
});
