// `storyflow ci gate`: asks the deployment gate before a deploy, prints the stories and the
// reasons, exits 1 on deny, and by default lets the job go on when storyflow is unreachable.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open-store.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('storyflow ci gate', () => {
  let server: TestServer;
  let target: string[];
  const api = (method: string, path: string, json: unknown) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token, json });
  beforeEach(async () => {
    server = await startTestServer(await openStore('sqlite::memory:'), {
      config: { gates: [{ environment: 'production', require: ['accepted'] }] },
    });
    target = ['--url', server.url, '--token', server.token];
    await api('POST', '/stories/import', {
      documents: fixtureStories().map((story) => story.text),
    });
    await api('POST', '/stories/INF-015/links', {
      links: [{ type: 'commit', repository: 'acme/shop', key: SHA, sha: SHA }],
    });
  });
  afterEach(async () => {
    await server.close();
  });

  it('prints the stories and why, and exits 1 when the gate denies the deployment', async () => {
    const run = await runCliInProcess(
      [
        'ci',
        'gate',
        '--environment',
        'production',
        '--repository',
        'acme/shop',
        '--sha',
        SHA,
        ...target,
      ],
      {},
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      'storyflow gate production: DENY (1 story)\n' +
        'STORY    STATUS     REQUIRED\n' +
        'INF-015  in_review  accepted  NOT READY\n' +
        '- INF-015 is in_review; production requires accepted\n',
    );
    expect(run.stderr).toContain('denies the deployment to production');
  });

  it('exits 0 when the gate allows it, taking the repository and commit from GitHub Actions', async () => {
    const run = await runCliInProcess(['ci', 'gate', '--environment', 'production', ...target], {
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_SHA: 'fedcba9876543210fedcba9876543210fedcba98',
      GITHUB_REF: 'refs/heads/main',
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('storyflow gate production: ALLOW (0 stories)\n');
  });

  it('takes the commit from GitLab CI: the story at CI_COMMIT_SHA denies', async () => {
    const run = await runCliInProcess(['ci', 'gate', '--environment', 'production', ...target], {
      GITLAB_CI: 'true',
      CI_PROJECT_PATH: 'acme/shop',
      CI_COMMIT_SHA: SHA,
      CI_COMMIT_REF_NAME: 'main',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('INF-015');
  });

  it('--json prints the answer as the API gives it', async () => {
    const run = await runCliInProcess([
      'ci',
      'gate',
      '--environment',
      'production',
      '--repository',
      'acme/shop',
      '--sha',
      SHA,
      '--json',
      ...target,
    ]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      decision: 'deny',
      stories: [{ id: 'INF-015', status: 'in_review', required: ['accepted'] }],
    });
  });

  it('a credential without stories:read is refused: exit 1 with the reason', async () => {
    const token = (await api('POST', '/tokens', { name: 'ci', scopes: ['ci:events'] })).body
      .token as string;
    const run = await runCliInProcess([
      'ci',
      'gate',
      '--environment',
      'production',
      '--repository',
      'acme/shop',
      '--url',
      server.url,
      '--token',
      token,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('403');
  });

  it('without a repository to ask about, a usage error (exit 2)', async () => {
    const run = await runCliInProcess(['ci', 'gate', '--environment', 'production', ...target]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--repository');
  });
});

describe('storyflow ci gate when storyflow cannot be reached', () => {
  const unreachable = ['--url', 'http://127.0.0.1:9', '--token', 't', '--attempts', '1'];
  const args = ['ci', 'gate', '--environment', 'production', '--repository', 'acme/shop'];

  it('warns and exits 0, so an outage of storyflow does not stop deployments', async () => {
    const run = await runCliInProcess([...args, ...unreachable]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^WARNING: storyflow: cannot reach the server/);
  });

  it('exits 3 with --fail-on-error', async () => {
    const run = await runCliInProcess([...args, ...unreachable, '--fail-on-error']);
    expect(run.code).toBe(3);
  });
});
