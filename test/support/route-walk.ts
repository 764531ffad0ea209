// One valid request for every route of the OpenAPI document, in an order where each finds what
// it needs (a story to link, an operation to roll back, a delivery to replay). The walk is
// driven by the server's own /openapi.json: a route without a request here fails the test, so a
// new route cannot be left out of the end-to-end runs.
import { randomUUID } from 'node:crypto';
import { githubExample } from '../providers/github/github-examples.js';
import { AZURE_DEVOPS_SECRET, azureDevopsFixture, basicAuth } from './azure-devops-webhooks.js';
import { fixtureStories } from './fixture-stories.js';
import { giteaFixture, giteaHeaders } from './gitea-webhooks.js';
import {
  BITBUCKET_SECRET,
  bitbucketFixture,
  GITHUB_SECRET,
  GITLAB_TOKEN,
  githubSignature,
  gitlabFixture,
} from './webhooks.js';

/** Values one step leaves for a later one. */
export interface WalkState {
  tokenId?: string;
  operationId?: string;
  deliveryId?: string;
}

export interface WalkRequest {
  path: string;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
  /** Use no bearer token (public routes, webhooks). */
  anonymous?: boolean;
}

export interface WalkStep {
  /** `METHOD /path` as the OpenAPI document spells it. */
  route: string;
  request(state: WalkState): WalkRequest;
  /** The statuses a valid request answers with. */
  expect: number[];
  /** Keeps what later steps need from the answer. */
  after?(body: any, state: WalkState): void;
}

export const WALK_REPOSITORY = 'acme/shop';
/** A branch that names INT-003 (a fixture story in `draft`). */
const BRANCH = 'feature/INT-003-webhooks';

function signedGithub(event: string, payload: unknown): WalkRequest {
  const body = JSON.stringify(payload);
  return {
    path: '/webhooks/github',
    text: body,
    anonymous: true,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/route-walk',
      'x-github-event': event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': githubSignature(body, GITHUB_SECRET),
    },
  };
}

export const WALK_STEPS: readonly WalkStep[] = [
  { route: 'GET /healthz', request: () => ({ path: '/healthz', anonymous: true }), expect: [200] },
  { route: 'GET /readyz', request: () => ({ path: '/readyz', anonymous: true }), expect: [200] },
  { route: 'GET /metrics', request: () => ({ path: '/metrics' }), expect: [200] },
  {
    route: 'POST /api/v1/stories/import',
    request: () => ({
      path: '/api/v1/stories/import',
      json: { documents: fixtureStories().map((story) => story.text) },
    }),
    expect: [200],
  },
  {
    route: 'POST /api/v1/stories',
    request: () => ({ path: '/api/v1/stories', json: { id: 'WALK-1', title: 'Walked' } }),
    expect: [201],
  },
  { route: 'GET /api/v1/stories', request: () => ({ path: '/api/v1/stories' }), expect: [200] },
  {
    route: 'GET /api/v1/stories/{id}',
    request: () => ({ path: '/api/v1/stories/INT-003' }),
    expect: [200],
  },
  {
    route: 'GET /api/v1/stories/{id}.md',
    request: () => ({ path: '/api/v1/stories/INT-003.md' }),
    expect: [200],
  },
  {
    route: 'PATCH /api/v1/stories/{id}',
    request: () => ({
      path: '/api/v1/stories/WALK-1',
      json: { title: 'Walked again' },
      headers: { 'if-match': '"1"' },
    }),
    expect: [200],
  },
  {
    route: 'POST /api/v1/stories/{id}/transitions',
    request: () => ({ path: '/api/v1/stories/WALK-1/transitions', json: { to: 'ready' } }),
    expect: [200],
  },
  {
    // `storyflow ci link` (docs/cli.md): this request once never answered on SQLite and wedged
    // every later /api/v1 request behind it.
    route: 'POST /api/v1/stories/{id}/links',
    request: () => ({
      path: '/api/v1/stories/INT-003/links',
      json: {
        links: [{ type: 'branch', repository: WALK_REPOSITORY, key: BRANCH, state: 'open' }],
      },
    }),
    expect: [200],
  },
  {
    route: 'GET /api/v1/stories/{id}/links',
    request: () => ({ path: '/api/v1/stories/INT-003/links' }),
    expect: [200],
  },
  {
    route: 'GET /api/v1/stories/{id}/history',
    request: () => ({ path: '/api/v1/stories/WALK-1/history' }),
    expect: [200],
  },
  {
    route: 'POST /api/v1/batch',
    request: () => ({
      path: '/api/v1/batch',
      json: {
        atomic: true,
        operations: [
          { op: 'create', story: { id: 'WALK-2', title: 'Batched' } },
          {
            op: 'link',
            id: 'WALK-2',
            link: { type: 'branch', repository: WALK_REPOSITORY, key: 'feature/WALK-2' },
          },
        ],
      },
    }),
    expect: [200],
  },
  {
    route: 'POST /api/v1/tokens',
    request: () => ({
      path: '/api/v1/tokens',
      json: { name: 'route walk', scopes: ['stories:read'] },
    }),
    expect: [201],
    after: (body, state) => {
      state.tokenId = body.id;
    },
  },
  { route: 'GET /api/v1/tokens', request: () => ({ path: '/api/v1/tokens' }), expect: [200] },
  {
    route: 'DELETE /api/v1/tokens/{id}',
    request: (state) => ({ path: `/api/v1/tokens/${state.tokenId}` }),
    expect: [204],
  },
  {
    route: 'POST /api/v1/ci/events',
    request: () => ({
      path: '/api/v1/ci/events',
      json: { kind: 'branch.created', repository: WALK_REPOSITORY, branch: BRANCH },
    }),
    expect: [200],
    after: (body, state) => {
      state.deliveryId = body.delivery;
      state.operationId = body.operations?.[0]?.id;
    },
  },
  {
    route: 'GET /api/v1/operations',
    request: () => ({ path: '/api/v1/operations?story=INT-003' }),
    expect: [200],
  },
  {
    route: 'GET /api/v1/operations/{id}',
    request: (state) => ({ path: `/api/v1/operations/${state.operationId}` }),
    expect: [200],
  },
  {
    route: 'POST /api/v1/operations/{id}/rollback',
    request: (state) => ({ path: `/api/v1/operations/${state.operationId}/rollback` }),
    expect: [200],
  },
  {
    route: 'POST /api/v1/deployments',
    request: () => ({
      path: '/api/v1/deployments',
      json: {
        repository: WALK_REPOSITORY,
        environment: 'staging',
        status: 'success',
        sha: 'abc1234',
        stories: ['INT-004'],
      },
    }),
    expect: [200],
  },
  { route: 'GET /api/v1/rules', request: () => ({ path: '/api/v1/rules' }), expect: [200] },
  {
    route: 'PUT /api/v1/rules',
    request: () => ({
      path: '/api/v1/rules',
      json: { rules: [{ name: 'walk', on: 'pr.merged', then: [{ addLabel: 'walked' }] }] },
    }),
    expect: [200],
  },
  {
    route: 'POST /api/v1/rules/simulate',
    request: () => ({
      path: '/api/v1/rules/simulate',
      json: { events: [{ kind: 'push', repository: WALK_REPOSITORY, branch: BRANCH }] },
    }),
    expect: [200],
  },
  {
    route: 'POST /webhooks/github',
    request: () =>
      signedGithub(
        'push',
        githubExample('push', (payload) => payload.ref === 'refs/heads/master'),
      ),
    expect: [202],
  },
  {
    route: 'POST /webhooks/gitlab',
    request: () => ({
      path: '/webhooks/gitlab',
      json: gitlabFixture('push'),
      anonymous: true,
      headers: {
        'x-gitlab-event': 'Push Hook',
        'x-gitlab-event-uuid': randomUUID(),
        'x-gitlab-token': GITLAB_TOKEN,
      },
    }),
    expect: [202],
  },
  {
    route: 'POST /webhooks/gitea',
    request: () => {
      const body = JSON.stringify(giteaFixture('push'));
      return {
        path: '/webhooks/gitea',
        text: body,
        anonymous: true,
        headers: giteaHeaders('push', body, { forgejo: true }),
      };
    },
    expect: [202],
  },
  {
    route: 'POST /webhooks/bitbucket',
    request: () => {
      const text = JSON.stringify(bitbucketFixture('cloud-push-updated'));
      return {
        path: '/webhooks/bitbucket',
        text,
        anonymous: true,
        headers: {
          'content-type': 'application/json',
          'x-event-key': 'repo:push',
          'x-request-uuid': randomUUID(),
          'x-hub-signature': githubSignature(text, BITBUCKET_SECRET),
        },
      };
    },
    expect: [202],
  },
  {
    route: 'POST /webhooks/azure-devops',
    request: () => ({
      path: '/webhooks/azure-devops',
      json: { ...azureDevopsFixture('git.push'), id: randomUUID() },
      anonymous: true,
      headers: { authorization: basicAuth('azure-devops', AZURE_DEVOPS_SECRET) },
    }),
    expect: [202],
  },
  {
    route: 'GET /api/v1/deliveries',
    request: () => ({ path: '/api/v1/deliveries' }),
    expect: [200],
  },
  {
    route: 'GET /api/v1/deliveries/{id}',
    request: (state) => ({ path: `/api/v1/deliveries/${state.deliveryId}` }),
    expect: [200],
  },
  {
    route: 'POST /api/v1/deliveries/{id}/replay',
    request: (state) => ({ path: `/api/v1/deliveries/${state.deliveryId}/replay` }),
    expect: [202],
  },
  {
    // The walk configures no forge: the run asks no repository and answers an empty summary.
    route: 'POST /api/v1/deliveries/reconcile',
    request: () => ({ path: '/api/v1/deliveries/reconcile', json: { since: '24h' } }),
    expect: [200],
  },
  {
    route: 'GET /api/v1/outbox',
    request: () => ({ path: '/api/v1/outbox' }),
    expect: [200],
  },
  {
    // The walk configures no forge, so nothing is ever queued: an unknown id is 404.
    route: 'POST /api/v1/outbox/{id}/retry',
    request: () => ({ path: '/api/v1/outbox/obx_unknown/retry' }),
    expect: [404],
  },
  {
    route: 'GET /api/v1/repositories',
    request: () => ({ path: '/api/v1/repositories' }),
    expect: [200],
  },
  {
    // The walk configures no repository (a sync needs a git remote): a name is 404.
    route: 'GET /api/v1/repositories/{name}',
    request: () => ({ path: `/api/v1/repositories/${encodeURIComponent(WALK_REPOSITORY)}` }),
    expect: [404],
  },
  {
    route: 'POST /api/v1/repositories/{name}/sync',
    request: () => ({
      path: `/api/v1/repositories/${encodeURIComponent(WALK_REPOSITORY)}/sync`,
    }),
    expect: [404],
  },
  {
    route: 'GET /api/v1/repositories/{name}/conflicts',
    request: () => ({
      path: `/api/v1/repositories/${encodeURIComponent(WALK_REPOSITORY)}/conflicts?all=true`,
    }),
    expect: [404],
  },
  {
    route: 'POST /api/v1/repositories/{name}/conflicts/{id}/ack',
    request: () => ({
      path: `/api/v1/repositories/${encodeURIComponent(WALK_REPOSITORY)}/conflicts/cfl_walk/ack`,
    }),
    expect: [404],
  },
  {
    route: 'GET /api/v1/gates/deployment',
    request: () => ({
      path: `/api/v1/gates/deployment?repository=acme/shop&environment=production&sha=${'a'.repeat(40)}`,
    }),
    expect: [200],
  },
  {
    route: 'GET /api/v1/audit',
    request: () => ({ path: '/api/v1/audit?limit=5' }),
    expect: [200],
  },
  {
    route: 'GET /api/v1/audit/verify',
    request: () => ({ path: '/api/v1/audit/verify' }),
    expect: [200],
  },
  {
    route: 'DELETE /api/v1/stories/{id}',
    request: () => ({ path: '/api/v1/stories/WALK-2' }),
    expect: [204],
  },
];

/** `METHOD /path` of every operation in an OpenAPI document. */
export function openApiRoutes(spec: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

export interface WalkResult {
  route: string;
  status: number | 'no answer';
  ms: number;
  body: unknown;
}

/**
 * Sends every step's request, each bounded by `timeoutMs`; a request that does not answer in
 * time is recorded as 'no answer'. The walk goes on after one (so it shows whether the routes
 * after it are stuck too) and stops after `maxNoAnswers`, so a wedged server fails the test
 * quickly rather than by the test's own timeout.
 */
export async function walkRoutes(
  baseUrl: string,
  token: string,
  timeoutMs: number,
  steps: readonly WalkStep[] = WALK_STEPS,
  maxNoAnswers = 3,
): Promise<WalkResult[]> {
  const state: WalkState = {};
  const results: WalkResult[] = [];
  for (const step of steps) {
    if (results.filter((result) => result.status === 'no answer').length >= maxNoAnswers) break;
    const [method] = step.route.split(' ') as [string];
    const request = step.request(state);
    const headers: Record<string, string> = { ...request.headers };
    if (!request.anonymous) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (request.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.text !== undefined) {
      body = request.text;
    }
    const started = Date.now();
    try {
      const response = await fetch(`${baseUrl}${request.path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      const parsed = (response.headers.get('content-type') ?? '').includes('json')
        ? (JSON.parse(text) as unknown)
        : text;
      results.push({
        route: step.route,
        status: response.status,
        ms: Date.now() - started,
        body: parsed,
      });
      if (step.expect.includes(response.status)) step.after?.(parsed, state);
    } catch (error) {
      results.push({
        route: step.route,
        status: 'no answer',
        ms: Date.now() - started,
        body: (error as Error).message,
      });
    }
  }
  return results;
}
