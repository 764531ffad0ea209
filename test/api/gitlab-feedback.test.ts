// Talking back to GitLab end to end: Merge Request Hooks posted to /webhooks/gitlab are processed
// by the inbox worker, and the server's own outbox sender writes to a local fake GitLab that
// refuses any request GitLab's API docs do not allow (test/fixtures/gitlab-api/SOURCE.md): one
// note per merge request, created then edited in place; the `storyflow/story` commit status on
// its head commit; 429 answers waited out as GitLab asks. The project sits in a subgroup, and
// the forge entry covers the subgroup (`owner: acme/platform`).
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type FakeGitlab, gitlabForge, startFakeGitlab } from '../support/fake-gitlab.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';
import { gitlabFixture, postGitlab, webhookTestConfig } from '../support/webhooks.js';

const TOKEN = 'glpat-feedback-test';
const PROJECT = 'acme/platform/shop';
const HEAD = 'a'.repeat(40);
const NEXT = 'b'.repeat(40);

/** GitLab's Merge Request Hook example (test/fixtures/gitlab), for our project and MR. */
function mergeRequest(
  action: 'open' | 'update',
  iid: number,
  text: { title: string; description: string },
  sha: string,
  changes: Record<string, unknown> = {},
) {
  const payload = gitlabFixture('merge_request');
  payload.project = { ...payload.project, path_with_namespace: PROJECT };
  payload.object_attributes = {
    ...payload.object_attributes,
    action,
    iid,
    ...text,
    source_branch: `change-${iid}`,
    last_commit: { ...payload.object_attributes.last_commit, id: sha },
  };
  payload.changes = changes;
  return payload;
}

describeEachStore('GitLab merge requests: linkback note and storyflow/story status', (open) => {
  let server: TestServer;
  let gitlab: FakeGitlab;

  const api = (method: string, path: string, json?: unknown) =>
    http(server.url, method, `/api/v1${path}`, {
      token: server.token,
      ...(json === undefined ? {} : { json }),
    });
  /** Posts the hook and waits until the inbox has processed it (by this or its own loop). */
  const deliver = async (payload: unknown) => {
    const answer = await postGitlab(server.url, 'Merge Request Hook', payload);
    expect(answer.status).toBe(202);
    for (let waited = 0; waited < 10_000; waited += 50) {
      await server.inboxWorker.runOnce();
      const { body } = await api('GET', `/deliveries/${answer.body.delivery}`);
      if (body.status === 'processed') return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the delivery was not processed');
  };
  /** Waits for the server's sender (it polls every second) to empty the outbox. */
  const settled = async (limitMs = 15_000) => {
    for (let waited = 0; waited < limitMs; waited += 100) {
      const { body } = await api('GET', '/outbox?status=pending');
      if (body.items.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the outbox did not drain');
  };
  const notesOf = (iid: number) => [...gitlab.notes.values()].filter((n) => n.mergeRequest === iid);
  const statusesOf = (sha: string) => gitlab.statuses.filter((status) => status.sha === sha);

  beforeEach(async () => {
    gitlab = await startFakeGitlab(TOKEN);
    server = await startTestServer(await open(), {
      config: {
        webhooks: webhookTestConfig(),
        forges: [
          gitlabForge(gitlab.url, TOKEN, {
            id: 'gitlab:acme/platform',
            owner: 'acme/platform',
            requireStory: true,
          }),
        ],
      },
    });
    await api('POST', '/stories/import', {
      documents: fixtureStories().map((story) => story.text),
    });
  });
  afterEach(async () => {
    // Every request storyflow made was one GitLab's docs allow.
    expect(gitlab.malformed).toEqual([]);
    await server.close();
    await gitlab.close();
  });

  it('an MR naming INT-003 gets one note and a success status; the story moving edits that note (PUT), not a second', async () => {
    await deliver(
      mergeRequest('open', 12, { title: 'Checkout', description: 'Closes INT-003' }, HEAD),
    );
    await settled();
    const [note] = notesOf(12);
    expect(notesOf(12)).toHaveLength(1);
    expect(note?.project).toBe(PROJECT);
    expect(note?.body).toContain('INT-003');
    expect(statusesOf(HEAD)).toEqual([
      expect.objectContaining({
        project: PROJECT,
        state: 'success',
        name: 'storyflow/story',
        description: 'serves INT-003',
      }),
    ]);
    // The note is created on the merge request, under the URL-encoded project path.
    const created = gitlab.requests.find((request) => request.path.includes('/notes'));
    expect(created?.method).toBe('POST');
    expect(created?.path).toBe('/projects/acme%2Fplatform%2Fshop/merge_requests/12/notes');
    expect(created?.headers['private-token']).toBe(TOKEN);

    expect((await api('POST', '/stories/INT-003/transitions', { to: 'done' })).status).toBe(200);
    await settled();
    expect(notesOf(12)).toHaveLength(1);
    expect(notesOf(12)[0]?.body).toMatch(/INT-003[^\n]*\| done \|/);
    const noteCalls = gitlab.requests.filter((request) => request.path.includes('/notes'));
    expect(noteCalls.map((request) => request.method)).toEqual(['POST', 'PUT']);
    expect(noteCalls[1]?.path).toMatch(/\/merge_requests\/12\/notes\/\d+$/);
  });

  it('requireStory: an MR naming no story fails storyflow/story; its description edited to name one turns it to success', async () => {
    await deliver(
      mergeRequest('open', 13, { title: 'Tidy up', description: 'No story here' }, HEAD),
    );
    await settled();
    expect(statusesOf(HEAD)).toEqual([
      expect.objectContaining({ state: 'failed', name: 'storyflow/story' }),
    ]);
    expect(statusesOf(HEAD)[0]?.description).toMatch(/^no story referenced: name a story/);
    expect(notesOf(13)).toEqual([]);

    await deliver(
      mergeRequest('update', 13, { title: 'Tidy up', description: 'Part of INT-004' }, NEXT, {
        description: { previous: 'No story here', current: 'Part of INT-004' },
      }),
    );
    await settled();
    expect(statusesOf(NEXT)).toEqual([
      expect.objectContaining({
        state: 'success',
        name: 'storyflow/story',
        description: 'serves INT-004',
      }),
    ]);
    expect(notesOf(13)).toHaveLength(1);
    expect(notesOf(13)[0]?.body).toContain('INT-004');
  });

  it('a 429 from GitLab is waited out as Retry-After asks, then the call goes out once', async () => {
    gitlab.script.push({
      status: 429,
      headers: { 'retry-after': '2' },
      body: { message: 'Retry later' },
    });
    await deliver(mergeRequest('open', 14, { title: 'Checkout', description: 'INT-003' }, HEAD));
    const started = Date.now();
    const waitingRow = async () => {
      for (let waited = 0; waited < 5_000; waited += 50) {
        const { body } = await api('GET', '/outbox?status=pending');
        const limited = body.items.find((item: { lastError: string | null }) =>
          item.lastError?.includes('429'),
        );
        if (limited !== undefined) return limited;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('no row was held back by the 429');
    };
    const held = await waitingRow();
    // The rate-limited answer uses no attempt, and the row waits the two seconds asked for.
    expect(held.attempts).toBe(0);
    expect(Date.parse(held.nextAttemptAt) - Date.now()).toBeGreaterThan(500);
    await settled();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(notesOf(14)).toHaveLength(1);
    expect(statusesOf(HEAD)).toHaveLength(1);
    // The limited call, then the note and the status once each.
    expect(gitlab.requests).toHaveLength(3);
  });
});
