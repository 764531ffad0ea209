// Stories as code under the real `storyflow serve` (SQLite file: the inbox worker in its thread,
// the sync runner on the main thread): a person pushes a story file to a bare repository over
// file://, GitHub's push webhook for that commit arrives, and the story appears byte for byte.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { githubPush } from '../support/automation-payloads.js';
import { createGitRepository, type GitRepository } from '../support/git-repository.js';
import { http } from '../support/http.js';
import {
  freePort,
  type ServerProcess,
  sqliteServeEnv,
  startServerProcess,
} from '../support/server-process.js';
import { GITHUB_SECRET, postGithub } from '../support/webhooks.js';

const ADMIN = 'serve-admin-token-0123456789abcdef';
const NAME = 'Codertocat/Hello-World';

describe('serve: a pushed story file becomes a story', () => {
  let dir: string;
  let repo: GitRepository;
  let server: ServerProcess | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'storyflow-serve-sync-'));
    repo = createGitRepository();
  });
  afterEach(async () => {
    await server?.stop();
    repo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('through the inbox worker thread and the sync runner, byte for byte', async () => {
    writeFileSync(
      join(dir, 'storyflow.config.yaml'),
      `repositories:\n  - name: ${NAME}\n    provider: github\n    url: "${repo.url}"\n` +
        '    branch: main\n    stories: "stories/*.md"\n',
    );
    const bytes =
      '---\r\nid: INT-42\r\ntitle: "From the repository"\r\nstatus: ready\r\n---\r\n\r\nBody\r\n';
    repo.write('stories/INT-42.md', bytes);
    const sha = repo.commit('add INT-42');
    repo.push();
    server = await startServerProcess({
      name: 'sync',
      cwd: dir,
      port: await freePort(),
      env: {
        ...sqliteServeEnv(dir, ADMIN),
        STORYFLOW_GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
      },
    });
    const payload = githubPush('main', [{ id: sha, message: 'add INT-42' }]);
    expect((await postGithub(server.baseUrl, 'push', payload)).status).toBe(202);
    let story = await http(server.baseUrl, 'GET', '/api/v1/stories/INT-42.md', { token: ADMIN });
    for (let attempt = 0; attempt < 100 && story.status !== 200; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      story = await http(server.baseUrl, 'GET', '/api/v1/stories/INT-42.md', { token: ADMIN });
    }
    expect(story.status, server.output()).toBe(200);
    expect(story.bytes.equals(Buffer.from(bytes))).toBe(true);
    const status = await http(
      server.baseUrl,
      'GET',
      `/api/v1/repositories/${encodeURIComponent(NAME)}`,
      { token: ADMIN },
    );
    expect(status.body).toMatchObject({ lastSyncedSha: sha, stories: 1 });
  });
});
