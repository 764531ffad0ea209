// The fake Gitea's pull requests (fake-forges.ts routes them here), as Gitea 1.22's swagger
// describes them (test/fixtures/gitea-api): requests and answers are checked against it there.
//   GET   /repos/{owner}/{repo}/pulls          repoListPullRequests (state, page, limit)
//   POST  /repos/{owner}/{repo}/pulls          repoCreatePullRequest (201)
//   PATCH /repos/{owner}/{repo}/pulls/{index}  repoEditPullRequest (201, as the swagger says)
// A second open pull request from the same branches is refused with 409, as Gitea does
// ("pull request already exists for these targets").
import type { FakePullRequest, FakePullRequests } from './fake-pull-requests.js';

const AT = '2026-12-03T12:00:00Z';

export function handleGiteaPulls(
  pulls: FakePullRequests,
  operation: string,
  repository: string,
  params: Record<string, string>,
  query: URLSearchParams,
  body: any,
): { status: number; body: unknown } | undefined {
  if (operation === 'repoListPullRequests') {
    const state = query.get('state') ?? 'open';
    const limit = Number(query.get('limit') ?? 30);
    const page = Number(query.get('page') ?? 1);
    const found = pulls.all.filter(
      (pull) =>
        pull.repository === repository &&
        (state === 'all' || (state === 'open') === (pull.state === 'open')),
    );
    return {
      status: 200,
      body: found.slice((page - 1) * limit, page * limit).map(pullOf),
    };
  }
  if (operation === 'repoCreatePullRequest') {
    const created = pulls.create({
      repository,
      head: body.head,
      base: body.base,
      title: body.title ?? '',
      body: body.body ?? '',
    });
    if (created === 'exists')
      return {
        status: 409,
        body: { message: 'pull request already exists for these targets', url: '' },
      };
    if (created === 'lost') return { status: 502, body: { message: 'bad gateway' } };
    return { status: 201, body: pullOf(created) };
  }
  if (operation === 'repoEditPullRequest') {
    const pull = pulls.get(repository, Number(params.index));
    if (pull === undefined) return { status: 404, body: { message: 'not found' } };
    if (typeof body.title === 'string') pull.title = body.title;
    if (typeof body.body === 'string') pull.body = body.body;
    return { status: 201, body: pullOf(pull) };
  }
  return undefined;
}

function pullOf(pull: FakePullRequest) {
  const branch = (ref: string) => ({ label: ref, ref, sha: '0'.repeat(40), repo_id: 1 });
  return {
    id: 700 + pull.number,
    number: pull.number,
    title: pull.title,
    body: pull.body,
    state: pull.state === 'open' ? 'open' : 'closed',
    merged: pull.state === 'merged',
    html_url: `https://gitea.example.com/${pull.repository}/pulls/${pull.number}`,
    url: `https://gitea.example.com/${pull.repository}/pulls/${pull.number}`,
    head: branch(pull.head),
    base: branch(pull.base),
    created_at: AT,
    updated_at: AT,
  };
}
