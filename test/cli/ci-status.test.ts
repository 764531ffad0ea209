// What `storyflow ci status` and `ci link` print: what happened to the story, and whether this
// run was a replay of an earlier report (same Idempotency-Key) that changed nothing again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { summaryLines } from '../../src/cli/ci/ci-report.js';
import { openStore } from '../../src/storage/open-store.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';

describe('storyflow ci status / ci link output', () => {
  let server: TestServer;
  let target: string[];
  beforeEach(async () => {
    server = await startTestServer(await openStore('sqlite::memory:'));
    target = ['--url', server.url, '--token', server.token];
    await http(server.url, 'POST', '/api/v1/stories/import', {
      token: server.token,
      json: { documents: fixtureStories().map((story) => story.text) },
    });
  });
  afterEach(async () => {
    await server.close();
  });

  it('ci status prints the status the story moved to, and a replay says it changed nothing again', async () => {
    const before = (
      await http(server.url, 'GET', '/api/v1/stories/INT-004', { token: server.token })
    ).body;
    const first = await runCliInProcess(['ci', 'status', 'INT-004', 'in_progress', ...target]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      `storyflow: INT-004 status: in_progress (version ${before.version + 1})\n`,
    );
    expect(first.stdout).not.toContain('no story changed');

    const again = await runCliInProcess(['ci', 'status', 'INT-004', 'in_progress', ...target]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      'storyflow: ci status INT-004 in_progress was already reported; nothing changed now. The first report:\n' +
        `storyflow: INT-004 status: in_progress (version ${before.version + 1})\n`,
    );
    const after = (
      await http(server.url, 'GET', '/api/v1/stories/INT-004', { token: server.token })
    ).body;
    expect(after.version).toBe(before.version + 1);
  });

  // `ci link` answers { linked: N }; its run through a server is the lockup fix's test (issue 15
  // point 11: POST /stories/{id}/links hangs on today's main), so its line is checked here alone.
  it('ci link prints how many links it recorded', () => {
    expect(summaryLines({ command: 'ci link INT-004', linked: 3, operations: [] })).toEqual([
      'storyflow: ci link INT-004: 3 link(s) recorded',
    ]);
  });
});
