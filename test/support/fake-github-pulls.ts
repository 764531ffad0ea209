// The fake GitHub's pull requests (fake-github.ts routes them here), answered from the examples
// of GitHub's own description (test/fixtures/github-openapi) with the fields that matter laid
// over them and checked against the documented schema:
//   GET   /repos/{owner}/{repo}/pulls      https://docs.github.com/en/rest/pulls/pulls#list-pull-requests
//   POST  /repos/{owner}/{repo}/pulls      https://docs.github.com/en/rest/pulls/pulls#create-a-pull-request
//   PATCH /repos/{owner}/{repo}/pulls/{n}  https://docs.github.com/en/rest/pulls/pulls#update-a-pull-request
// A create whose branches already have an open pull request answers 422, as GitHub does ("A pull
// request already exists for acme:storyflow/updates.").
import { readFileSync } from 'node:fs';
import type { FakePullRequest, FakePullRequests } from './fake-pull-requests.js';
import { githubAnswer, matchesGithubAnswer } from './github-openapi.js';

/**
 * The list's example item. The description's examples request a team without the `type` its
 * schema requires, so the fake's pull requests request no teams (and its answers are checked).
 */
const EXAMPLES = JSON.parse(
  readFileSync(new URL('../fixtures/github-openapi/operations.json', import.meta.url), 'utf8'),
).components.examples;
const LIST_ITEM = { ...EXAMPLES['pull-request-simple-items'].value[0], requested_teams: [] };
const PULL = { ...EXAMPLES['pull-request'].value, requested_teams: [] };

export interface PullsAnswer {
  status: number;
  body: unknown;
  /** The request changed nothing and its answer may be lost (`loseNextCreate`). */
  lost?: boolean;
}

/** The answer to a pull request call, or undefined when `path` is not one. */
export function handleGithubPulls(
  pulls: FakePullRequests,
  method: string,
  path: string,
  body: any,
): (() => PullsAnswer) | undefined {
  const url = new URL(path, 'http://github.invalid');
  const match = /^\/repos\/([^/]+)\/([^/]+)\/pulls(?:\/(\d+))?$/.exec(url.pathname);
  if (match === null) return undefined;
  const [, owner = '', repo = '', number] = match;
  const repository = `${owner}/${repo}`;
  if (number === undefined && method === 'GET')
    return () => {
      const query = url.searchParams;
      const state = query.get('state') ?? 'open';
      // `head` is `owner:branch`; GitHub drops the filter's owner when it is not the repo's.
      const head = query.get('head')?.split(':');
      const found = pulls.all.filter(
        (pull) =>
          pull.repository === repository &&
          (state === 'all' || (state === 'open') === (pull.state === 'open')) &&
          (head === undefined || (head[0] === owner && pull.head === head.slice(1).join(':'))) &&
          (query.get('base') === null || pull.base === query.get('base')),
      );
      const items = found.map((pull) => ({ ...LIST_ITEM, ...fieldsOf(LIST_ITEM, pull) }));
      const problems = matchesGithubAnswer('pulls/list', 200, items);
      if (problems.length > 0) throw new Error(`pulls/list answer: ${problems.join('; ')}`);
      return { status: 200, body: items };
    };
  if (number === undefined && method === 'POST')
    return () => {
      const created = pulls.create({
        repository,
        head: body.head,
        base: body.base,
        title: body.title ?? '',
        body: body.body ?? '',
      });
      if (created === 'exists')
        return {
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [
              {
                resource: 'PullRequest',
                code: 'custom',
                message: `A pull request already exists for ${owner}:${body.head}.`,
              },
            ],
            documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
          },
        };
      if (created === 'lost') return { status: 502, body: { message: 'Server Error' }, lost: true };
      return { status: 201, body: pullAnswer('pulls/create', 201, created) };
    };
  if (number !== undefined && method === 'PATCH')
    return () => {
      const pull = pulls.get(repository, Number(number));
      if (pull === undefined) return { status: 404, body: { message: 'Not Found' } };
      if (typeof body.title === 'string') pull.title = body.title;
      if (typeof body.body === 'string') pull.body = body.body;
      return { status: 200, body: pullAnswer('pulls/update', 200, pull) };
    };
  return undefined;
}

function pullAnswer(operationId: string, status: number, pull: FakePullRequest) {
  return githubAnswer(operationId, status, {
    ...PULL,
    ...fieldsOf(PULL, pull),
    merged: pull.state === 'merged',
  });
}

function fieldsOf(example: any, pull: FakePullRequest) {
  return {
    number: pull.number,
    html_url: `https://github.com/${pull.repository}/pull/${pull.number}`,
    state: pull.state === 'open' ? 'open' : 'closed',
    title: pull.title,
    body: pull.body,
    head: { ...example.head, ref: pull.head },
    base: { ...example.base, ref: pull.base },
  };
}
