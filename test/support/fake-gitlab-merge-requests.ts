// The fake GitLab's merge requests (fake-gitlab.ts routes them here), shaped as GitLab's docs
// (test/fixtures/gitlab-api/merge-request.json, see its SOURCE.md): the example answer with the
// fields that matter laid over it, and each request's attributes checked against the page's list.
//   GET  /projects/:id/merge_requests             https://docs.gitlab.com/api/merge_requests/#list-project-merge-requests
//   POST /projects/:id/merge_requests             https://docs.gitlab.com/api/merge_requests/#create-mr
//   PUT  /projects/:id/merge_requests/:iid        https://docs.gitlab.com/api/merge_requests/#update-mr
// A second open merge request from the same branches is refused with 409, as GitLab does
// ("Another open merge request already exists for this source branch: !1").
import { readFileSync } from 'node:fs';
import type { FakePullRequest, FakePullRequests } from './fake-pull-requests.js';

const EXAMPLE = JSON.parse(
  readFileSync(new URL('../fixtures/gitlab-api/merge-request.json', import.meta.url), 'utf8'),
);

/** The attributes each page lists (besides `id` and `merge_request_iid` in the path). */
const LIST_QUERY = [
  'iids[]',
  'state',
  'order_by',
  'sort',
  'milestone',
  'view',
  'labels',
  'with_labels_details',
  'with_merge_status_recheck',
  'created_after',
  'created_before',
  'updated_after',
  'updated_before',
  'scope',
  'author_id',
  'author_username',
  'assignee_id',
  'approver_ids',
  'approved_by_ids',
  'my_reaction_emoji',
  'source_branch',
  'target_branch',
  'search',
  'in',
  'wip',
  'not',
  'page',
  'per_page',
];
const CREATE_FIELDS = [
  'source_branch',
  'target_branch',
  'title',
  'assignee_id',
  'assignee_ids',
  'description',
  'target_project_id',
  'labels',
  'milestone_id',
  'remove_source_branch',
  'allow_collaboration',
  'allow_maintainer_to_push',
  'squash',
];
const UPDATE_FIELDS = [
  'target_branch',
  'title',
  'assignee_id',
  'assignee_ids',
  'milestone_id',
  'labels',
  'add_labels',
  'remove_labels',
  'description',
  'state_event',
  'remove_source_branch',
  'squash',
  'discussion_locked',
  'allow_collaboration',
  'allow_maintainer_to_push',
];
const STATES = ['opened', 'closed', 'locked', 'merged', 'all'];
const DESCRIPTION_MAX = 1_048_576;

/** Refused as GitLab's docs do not allow it, or to be run (after any scripted answer). */
export type MergeRequestCall =
  | { refuse: string }
  | { run: () => { status: number; body: unknown } };

/** The handler of a merge request call, or undefined when `route` is not one. */
export function handleGitlabMergeRequests(
  requests: FakePullRequests,
  method: string,
  route: string,
  project: string,
  query: URLSearchParams,
  body: any,
): MergeRequestCall | undefined {
  const match = /^projects\/:id\/merge_requests(?:\/(\d+))?$/.exec(route);
  if (match === null) return undefined;
  const iid = match[1];
  const unknown = (allowed: string[]) =>
    Object.keys(body ?? {}).filter((key) => !allowed.includes(key));
  if (iid === undefined && method === 'GET') {
    const extra = [...query.keys()].filter((key) => !LIST_QUERY.includes(key));
    if (extra.length > 0) return { refuse: `unknown attributes: ${extra.join(', ')}` };
    const state = query.get('state') ?? 'all';
    if (!STATES.includes(state)) return { refuse: `state must be one of ${STATES}` };
    return {
      run: () => ({
        status: 200,
        body: requests.all
          .filter(
            (pull) =>
              pull.repository === project &&
              (state === 'all' || stateOf(pull) === state) &&
              (query.get('source_branch') === null || pull.head === query.get('source_branch')) &&
              (query.get('target_branch') === null || pull.base === query.get('target_branch')),
          )
          .map(mergeRequestOf),
      }),
    };
  }
  if (iid === undefined && method === 'POST') {
    if ([...query.keys()].length > 0) return { refuse: 'attributes go in the JSON body' };
    const extra = unknown(CREATE_FIELDS);
    if (extra.length > 0) return { refuse: `unknown attributes: ${extra.join(', ')}` };
    for (const key of ['source_branch', 'target_branch', 'title'])
      if (typeof body?.[key] !== 'string' || body[key] === '')
        return { refuse: `${key} is required` };
    if (typeof body.description === 'string' && body.description.length > DESCRIPTION_MAX)
      return { refuse: 'description is limited to 1,048,576 characters' };
    return {
      run: () => {
        const created = requests.create({
          repository: project,
          head: body.source_branch,
          base: body.target_branch,
          title: body.title,
          body: body.description ?? '',
        });
        if (created === 'exists') {
          const [open] = requests.open(project, body.source_branch, body.target_branch);
          return {
            status: 409,
            body: {
              message: [
                `Another open merge request already exists for this source branch: !${open?.number}`,
              ],
            },
          };
        }
        if (created === 'lost') return { status: 502, body: { message: '502 Bad Gateway' } };
        return { status: 201, body: mergeRequestOf(created) };
      },
    };
  }
  if (iid !== undefined && method === 'PUT') {
    if ([...query.keys()].length > 0) return { refuse: 'attributes go in the JSON body' };
    const extra = unknown(UPDATE_FIELDS);
    if (extra.length > 0) return { refuse: `unknown attributes: ${extra.join(', ')}` };
    if (Object.keys(body ?? {}).length === 0)
      return { refuse: 'at least one non-required attribute is needed' };
    return {
      run: () => {
        const pull = requests.get(project, Number(iid));
        if (pull === undefined) return { status: 404, body: { message: '404 Not found' } };
        if (typeof body.title === 'string') pull.title = body.title;
        if (typeof body.description === 'string') pull.body = body.description;
        return { status: 200, body: mergeRequestOf(pull) };
      },
    };
  }
  return undefined;
}

function stateOf(pull: FakePullRequest): string {
  return pull.state === 'open' ? 'opened' : pull.state;
}

function mergeRequestOf(pull: FakePullRequest) {
  return {
    ...structuredClone(EXAMPLE),
    iid: pull.number,
    id: 9000 + pull.number,
    title: pull.title,
    description: pull.body,
    state: stateOf(pull),
    source_branch: pull.head,
    target_branch: pull.base,
    web_url: `https://gitlab.example.com/${pull.repository}/-/merge_requests/${pull.number}`,
  };
}
