// The fake GitHub the outbox and reconciliation tests talk to holds every request to GitHub's
// own OpenAPI description (test/fixtures/github-openapi, from @octokit/openapi) and answers with
// the description's examples: a request GitHub would refuse is refused here and recorded, so a
// test that expects no malformed request fails on it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeGithub, startFakeGithub } from '../../support/fake-github.js';
import { matchesGithubAnswer } from '../../support/github-openapi.js';

const TOKEN = 'ghp_openapi_test';
let github: FakeGithub;

beforeEach(async () => {
  github = await startFakeGithub(TOKEN);
});
afterEach(async () => github.close());

function call(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${github.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      accept: 'application/vnd.github+json',
      'user-agent': 'storyflow-test',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe("the fake GitHub holds requests to GitHub's OpenAPI description", () => {
  it('answers a well-formed comment with the documented issue-comment shape', async () => {
    const created = await call('POST', '/repos/acme/shop/issues/12/comments', { body: 'hello' });
    expect(created.status).toBe(201);
    const answer = await created.json();
    expect(matchesGithubAnswer('issues/create-comment', 201, answer)).toEqual([]);
    expect(answer).toMatchObject({ body: 'hello', user: { login: expect.any(String) } });
    expect(github.malformed).toEqual([]);
  });

  it('refuses a body of the wrong type, a path parameter that is not a number and an unknown state', async () => {
    expect((await call('POST', '/repos/acme/shop/issues/12/comments', { body: 5 })).status).toBe(
      422,
    );
    expect(
      (await call('POST', '/repos/acme/shop/issues/twelve/comments', { body: 'x' })).status,
    ).toBe(422);
    const sha = 'a'.repeat(40);
    expect(
      (await call('POST', `/repos/acme/shop/statuses/${sha}`, { state: 'ok', context: 'c' }))
        .status,
    ).toBe(422);
    expect(github.malformed).toEqual([
      expect.stringContaining('request body: data/body must be string'),
      expect.stringContaining('path parameter issue_number=twelve'),
      expect.stringContaining('data/state must be equal to one of the allowed values'),
    ]);
  });

  it('refuses an operation the REST API does not have, and a body where none is taken', async () => {
    expect((await call('POST', '/repos/acme/shop/comments', { body: 'x' })).status).toBe(404);
    expect(
      (await call('POST', '/repos/acme/shop/hooks/42/deliveries/7/attempts', { force: true }))
        .status,
    ).toBe(422);
    expect(github.malformed).toEqual([
      expect.stringContaining("not an operation of GitHub's REST API"),
      expect.stringContaining('this operation takes no request body'),
    ]);
  });
});
