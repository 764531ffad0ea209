// A refused credential in a CLI or CI log says which refusal it was: no token, a token that
// is not (or no longer) valid (401), or a valid token without the scope or repository (403).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ciRequest } from '../../src/cli/ci/ci-http.js';
import { openStore } from '../../src/storage/open-store.js';
import { http } from '../support/http.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';

describe('refused credentials, as the CLI and the CI client report them', () => {
  let server: TestServer;
  let revoked: string;
  let readOnly: string;
  beforeEach(async () => {
    server = await startTestServer(await openStore('sqlite::memory:'));
    const create = async (name: string, scopes: string[]) =>
      (
        await http(server.url, 'POST', '/api/v1/tokens', {
          token: server.token,
          json: { name, scopes },
        })
      ).body as { id: string; token: string };
    const gone = await create('gone', ['stories:read', 'ci:events']);
    await http(server.url, 'DELETE', `/api/v1/tokens/${gone.id}`, { token: server.token });
    revoked = gone.token;
    readOnly = (await create('reader', ['stories:read'])).token;
  });
  afterEach(async () => {
    await server.close();
  });

  const auditVerify = (token?: string) =>
    runCliInProcess([
      'audit',
      'verify',
      '--url',
      server.url,
      ...(token === undefined ? [] : ['--token', token]),
    ]);

  it('the CLI with no token names STORYFLOW_TOKEN and --token', async () => {
    const run = await auditVerify();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('failed with 401');
    expect(run.stderr).toContain('no token was sent: set STORYFLOW_TOKEN or pass --token');
  });

  it('the CLI with a revoked token says the token is not valid', async () => {
    const run = await auditVerify(revoked);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('failed with 401: This token has been revoked');
    expect(run.stderr).toContain('the token is not valid (unknown, revoked or expired)');
  });

  it('the CLI with a valid token lacking the scope says so, not that the token is bad', async () => {
    const run = await auditVerify(readOnly);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('failed with 403: This token lacks the scope audit:read');
    expect(run.stderr).toContain('the token is valid but lacks the scope or repository');
    expect(run.stderr).not.toContain('not valid');
  });

  it('the CI client tells a bad token (401) from a missing right (403)', async () => {
    const event = { kind: 'push', repository: 'acme/shop', branch: 'main', sha: 'a'.repeat(40) };
    const send = (token: string | undefined) =>
      ciRequest(
        { baseUrl: server.url, token, attempts: 1 },
        'POST',
        '/api/v1/ci/events',
        event,
        undefined,
      );
    const none = await send(undefined);
    expect(none).toMatchObject({ ok: false, kind: 'rejected', status: 401 });
    expect(none.ok ? '' : none.message).toContain('no token was sent: set STORYFLOW_TOKEN');
    const bad = await send(revoked);
    expect(bad).toMatchObject({ ok: false, kind: 'rejected', status: 401 });
    expect(bad.ok ? '' : bad.message).toBe(
      'the server answered 401: This token has been revoked (the token is not valid (unknown, revoked or expired): use another one, e.g. from `storyflow token create`)',
    );
    const lacking = await send(readOnly);
    expect(lacking).toMatchObject({ ok: false, kind: 'rejected', status: 403 });
    expect(lacking.ok ? '' : lacking.message).toContain(
      'the token is valid but lacks the scope or repository',
    );
  });
});
