// The GitHub client with App credentials, one call at a time: a check run deleted on GitHub is
// created again rather than the call dying; a repository the app is not installed on is refused
// at once (dead, nothing to retry), and a GitHub that cannot be reached for a token is retried.
import { createPrivateKey } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ForgeConfig } from '../../../src/config/config.js';
import type { CheckPayload } from '../../../src/services/outbox/forge-client.js';
import { sendToGithub } from '../../../src/services/outbox/github-client.js';
import { acmeForge, type FakeGithub, startFakeGithub } from '../../support/fake-github.js';
import { appKeyPair, fakeGithubApp } from '../../support/fake-github-app.js';

const keys = appKeyPair();
const PKCS8 = createPrivateKey(keys.privateKeyPem)
  .export({ type: 'pkcs8', format: 'pem' })
  .toString();
const SHA = '6'.repeat(40);

let github: FakeGithub;
let forge: ForgeConfig;
const check = (repository: string): CheckPayload => ({
  repository,
  sha: SHA,
  name: 'storyflow/story',
  conclusion: 'success',
  title: 'serves INT-003',
  summary: 'serves INT-003',
});

beforeEach(async () => {
  github = await startFakeGithub('ghp_unused', fakeGithubApp(88, keys.publicKey, { acme: 31 }));
  forge = acmeForge(github.url, '', {
    token: null,
    app: { id: 88, privateKey: PKCS8, installationId: null },
  });
});
afterEach(async () => {
  expect(github.malformed).toEqual([]);
  await github.close();
});

it('a check run deleted on GitHub (PATCH 404) is created again for the head commit', async () => {
  const result = await sendToGithub(forge, 'check', check('acme/shop'), '999999');
  expect(result).toEqual({ kind: 'sent', remoteId: expect.stringMatching(/^\d+$/) });
  expect(github.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
    'GET /repos/acme/shop/installation',
    'POST /app/installations/31/access_tokens',
    'PATCH /repos/acme/shop/check-runs/999999',
    'POST /repos/acme/shop/check-runs',
  ]);
  expect([...github.checkRuns.values()]).toMatchObject([{ headSha: SHA, conclusion: 'success' }]);
});

it('a repository the app is not installed on is refused at once, naming it', async () => {
  const result = await sendToGithub(forge, 'check', check('stranger/repo'), null);
  expect(result).toEqual({
    kind: 'refused',
    error: expect.stringMatching(/GitHub App is not installed on stranger\/repo/),
  });
  expect(github.checkRuns.size).toBe(0);
});

it('a GitHub that does not answer the token request is retried later', async () => {
  const down = { ...forge, apiUrl: 'http://127.0.0.1:9' };
  const result = await sendToGithub(down, 'check', check('acme/shop'), null);
  expect(result).toMatchObject({ kind: 'retry', error: expect.stringMatching(/installation/) });
});
