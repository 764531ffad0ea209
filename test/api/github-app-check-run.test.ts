// With GitHub App credentials the `storyflow/story` merge check is a check run (a token sets a
// commit status): one per head commit, created, then updated in place when the PR changes. The
// server's own outbox sender mints the installation token (the installation looked up for the
// repository) and calls a fake GitHub that checks every request against GitHub's OpenAPI
// description; the private key, the JWTs and the tokens appear in no log line, audit entry or
// API answer.

import { createPrivateKey } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../src/domain/events/normalized-event.js';
import { acmeForge, type FakeGithub, startFakeGithub } from '../support/fake-github.js';
import { appKeyPair, fakeGithubApp } from '../support/fake-github-app.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

const HEAD = '5'.repeat(40);
const keys = appKeyPair();
const PKCS8 = createPrivateKey(keys.privateKeyPem)
  .export({ type: 'pkcs8', format: 'pem' })
  .toString();

describeEachStore('storyflow/story as a check run with a GitHub App', (open) => {
  let server: TestServer;
  let github: FakeGithub;
  const logLines: string[] = [];

  const api = (method: string, path: string) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token });
  const prEvent = (kind: 'pr.opened' | 'pr.updated', body: string) =>
    server.store.transaction((tx) =>
      server.services.engine.apply(
        tx,
        {
          provider: 'github',
          repository: 'acme/shop',
          kind,
          sha: HEAD,
          branch: 'feature-9',
          pr: {
            number: 9,
            title: 'A change',
            body,
            source: 'feature-9',
            target: 'main',
            url: 'https://github.com/acme/shop/pull/9',
            draft: false,
          },
        } as NormalizedEvent,
        {
          deliveryId: null,
          eventIndex: null,
          actor: { type: 'system', id: null, name: null },
          requestId: null,
        },
      ),
    );
  const settled = async () => {
    for (let waited = 0; waited < 15_000; waited += 100) {
      const { body } = await api('GET', '/outbox?status=pending');
      if (body.items.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the outbox did not drain');
  };

  beforeEach(async () => {
    logLines.length = 0;
    github = await startFakeGithub(
      'ghp_not_used',
      fakeGithubApp(77, keys.publicKey, { acme: 4242 }),
    );
    const logger = pino(
      { level: 'trace' },
      new Writable({
        write(chunk, _encoding, done) {
          logLines.push(String(chunk));
          done();
        },
      }),
    );
    server = await startTestServer(await open(), {
      logger,
      config: {
        forges: [
          acmeForge(github.url, '', {
            token: null,
            app: { id: 77, privateKey: PKCS8, installationId: null },
            requireStory: true,
          }),
        ],
      },
    });
    await http(server.url, 'POST', '/api/v1/stories/import', {
      token: server.token,
      json: { documents: fixtureStories().map((story) => story.text) },
    });
  });
  afterEach(async () => {
    expect(github.malformed).toEqual([]);
    await server.close();
    await github.close();
  });

  it('PR with no story → failing check run; description edited to name one → the same check run succeeds', async () => {
    await prEvent('pr.opened', 'No story here');
    await settled();
    expect([...github.checkRuns.values()]).toEqual([
      {
        repository: 'acme/shop',
        headSha: HEAD,
        name: 'storyflow/story',
        conclusion: 'failure',
        output: {
          title: 'no story referenced',
          summary: expect.stringMatching(/^no story referenced: name a story/),
        },
      },
    ]);
    await prEvent('pr.updated', 'For INT-004');
    await settled();
    expect(github.checkRuns.size).toBe(1);
    expect([...github.checkRuns.values()][0]).toMatchObject({
      headSha: HEAD,
      conclusion: 'success',
      output: { title: 'serves INT-004', summary: 'serves INT-004' },
    });
    expect(github.statuses).toEqual([]);
    expect(github.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET /repos/acme/shop/installation',
      'POST /app/installations/4242/access_tokens',
      'POST /repos/acme/shop/check-runs',
      expect.stringMatching(/^PATCH \/repos\/acme\/shop\/check-runs\/\d+$/),
      // The linkback comment, now that the PR names a story: the same token writes it.
      'POST /repos/acme/shop/issues/9/comments',
    ]);
    // Every call after the token request carried an installation token of the app.
    const tokens = [...(github.app?.tokens.keys() ?? [])];
    expect(tokens).toHaveLength(1);
    for (const request of github.requests.slice(2))
      expect(request.headers.authorization).toBe(`Bearer ${tokens[0]}`);

    // No secret anywhere storyflow writes or answers.
    const answers = [
      (await api('GET', '/outbox')).text,
      (await api('GET', '/audit?limit=500')).text,
      JSON.stringify(await server.store.audit.list({ limit: 500 })),
    ].join('\n');
    const written = `${logLines.join('')}\n${answers}`;
    expect(logLines.length).toBeGreaterThan(0);
    const keyLines = [keys.privateKeyPem, PKCS8]
      .flatMap((pem) => pem.split('\n'))
      .filter((line) => line.length > 40);
    for (const secret of [...keyLines, ...tokens, ...(github.app?.jwts ?? [])])
      expect(written.includes(secret), secret.slice(0, 12)).toBe(false);
  });
});
