// GitLab's API client for the outbox, against the fake GitLab (which refuses what GitLab's docs do
// not allow): what each call sends, and how each answer is classified for the sender.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatusPayload } from '../../../src/services/outbox/forge-client.js';
import { sendToGitlab } from '../../../src/services/outbox/gitlab-client.js';
import { type FakeGitlab, gitlabForge, startFakeGitlab } from '../../support/fake-gitlab.js';

const TOKEN = 'glpat-client-test';
const SHA = 'c'.repeat(40);
const comment = { repository: 'acme/platform/shop', number: 7, body: 'Stories: INT-003' };
const status = (overrides: Partial<StatusPayload> = {}): StatusPayload => ({
  repository: 'acme/platform/shop',
  sha: SHA,
  state: 'success',
  context: 'storyflow/story',
  description: 'serves INT-003',
  ...overrides,
});

describe('GitLab outbox client', () => {
  let gitlab: FakeGitlab;
  const forge = () => gitlabForge(gitlab.url, TOKEN, { owner: 'acme/platform' });

  beforeEach(async () => {
    gitlab = await startFakeGitlab(TOKEN);
  });
  afterEach(async () => {
    await gitlab.close();
  });

  it('creates a note, edits it with PUT by the id GitLab answered, and creates it again when deleted', async () => {
    const created = await sendToGitlab(forge(), 'comment', comment, null);
    expect(created).toEqual({ kind: 'sent', remoteId: expect.stringMatching(/^\d+$/) });
    const id = (created as { remoteId: string }).remoteId;
    const edited = await sendToGitlab(forge(), 'comment', { ...comment, body: 'v2' }, id);
    expect(edited).toEqual({ kind: 'sent', remoteId: id });
    expect(gitlab.notes.get(Number(id))?.body).toBe('v2');

    gitlab.notes.delete(Number(id));
    const again = await sendToGitlab(forge(), 'comment', { ...comment, body: 'v3' }, id);
    expect(again.kind).toBe('sent');
    expect((again as { remoteId: string }).remoteId).not.toBe(id);
    expect(gitlab.requests.map((request) => request.method)).toEqual([
      'POST',
      'PUT',
      'PUT',
      'POST',
    ]);
    expect(gitlab.malformed).toEqual([]);
  });

  it('a status is named storyflow/story, failure becomes GitLab’s failed, and texts are kept within 255 characters', async () => {
    await sendToGitlab(
      forge(),
      'status',
      status({ state: 'failure', description: 'x'.repeat(300), targetUrl: 'https://s.example/1' }),
      null,
    );
    expect(gitlab.statuses).toEqual([
      {
        project: 'acme/platform/shop',
        sha: SHA,
        state: 'failed',
        name: 'storyflow/story',
        description: `${'x'.repeat(254)}…`,
        targetUrl: 'https://s.example/1',
      },
    ]);
    expect(gitlab.requests[0]?.path).toBe(`/projects/acme%2Fplatform%2Fshop/statuses/${SHA}`);
    expect(gitlab.malformed).toEqual([]);
  });

  it('pending set again while pending (GitLab: "Cannot transition status via :enqueue from :pending") counts as sent', async () => {
    expect(await sendToGitlab(forge(), 'status', status({ state: 'pending' }), null)).toEqual({
      kind: 'sent',
      remoteId: null,
    });
    expect(await sendToGitlab(forge(), 'status', status({ state: 'pending' }), null)).toEqual({
      kind: 'sent',
      remoteId: null,
    });
    expect(gitlab.statuses).toHaveLength(1);
  });

  it('429 is limited with Retry-After, or RateLimit-Reset alone (a Unix time)', async () => {
    gitlab.script.push(
      { status: 429, headers: { 'retry-after': '30' } },
      { status: 429, headers: { 'ratelimit-reset': '1800000000' } },
    );
    expect(await sendToGitlab(forge(), 'comment', comment, null)).toMatchObject({
      kind: 'limited',
      hints: { retryAfter: '30' },
    });
    expect(await sendToGitlab(forge(), 'comment', comment, null)).toMatchObject({
      kind: 'limited',
      hints: { retryAfter: null, rateLimitRemaining: '0', rateLimitReset: '1800000000' },
    });
  });

  it('5xx and an unreachable GitLab are retried; another 4xx is refused with GitLab’s message', async () => {
    gitlab.script.push(
      { status: 502, body: { message: 'Bad Gateway' } },
      { status: 403, body: { message: '403 Forbidden' } },
    );
    expect(await sendToGitlab(forge(), 'comment', comment, null)).toMatchObject({ kind: 'retry' });
    expect(await sendToGitlab(forge(), 'status', status(), null)).toEqual({
      kind: 'refused',
      error: `POST /projects/acme%2Fplatform%2Fshop/statuses/${SHA}: 403 403 Forbidden`,
    });
    const down = gitlabForge('http://127.0.0.1:9/api/v4', TOKEN);
    expect(await sendToGitlab(down, 'comment', comment, null)).toMatchObject({
      kind: 'retry',
      error: expect.stringContaining(
        'POST /projects/acme%2Fplatform%2Fshop/merge_requests/7/notes: ',
      ),
    });
  });

  it('the fake refuses (and records) what GitLab’s docs do not allow: an unknown attribute, a state GitLab lacks', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${gitlab.url}${path}`, {
        method: 'POST',
        headers: { 'private-token': TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post(`/projects/a%2Fb/statuses/${SHA}`, { state: 'error' })).status).toBe(400);
    expect(
      (await post('/projects/a%2Fb/merge_requests/1/notes', { body: 'x', title: 'no' })).status,
    ).toBe(400);
    expect(gitlab.malformed).toHaveLength(2);
    expect(gitlab.malformed[0]).toContain('state must be one of');
    expect(gitlab.malformed[1]).toContain('unknown attributes: title');
  });
});
