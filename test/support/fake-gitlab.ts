// A local stand-in for GitLab's REST API (v4), for the outbox and reconciliation tests: serves the
// endpoints storyflow calls, refuses (and records in `malformed`) any request whose attributes,
// state or lengths GitLab's API docs do not allow, and answers with the docs' example shapes
// (test/fixtures/gitlab-api/, see its SOURCE.md). Project and group hooks keep their events
// (newest first, 20 a page at most); a resend really posts the event again to the hook's URL,
// with the event's Idempotency-Key and the hook's token, and is listed with the status it got.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ForgeConfig } from '../../src/config/config.js';
import { DEFAULT_LINKBACK_TEMPLATE } from '../../src/domain/outbox/linkback-comment.js';
import { handleGitlabMergeRequests } from './fake-gitlab-merge-requests.js';
import { FakePullRequests } from './fake-pull-requests.js';

const FIXTURES = new URL('../fixtures/gitlab-api/', import.meta.url);
const fixture = (name: string) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
const NOTE = fixture('merge-request-note.json');
const STATUS = fixture('commit-status.json');
const HOOK = fixture('project-hook.json');
const EVENT = fixture('project-hook-events.json')[0];

/** A `forges:` entry for a fake GitLab, with the loader's defaults. */
export function gitlabForge(
  apiUrl: string,
  token: string,
  overrides: Partial<ForgeConfig> = {},
): ForgeConfig {
  return {
    id: 'gitlab:acme',
    provider: 'gitlab',
    apiUrl,
    owner: 'acme',
    repository: null,
    token,
    linkback: true,
    linkbackTemplate: DEFAULT_LINKBACK_TEMPLATE,
    linkbackLinks: 'console',
    requireStory: false,
    concurrency: 4,
    circuitBreaker: { failures: 5, coolDownMs: 60_000 },
    ...overrides,
  };
}

export interface GitlabRequest {
  method: string;
  /** The path under /api/v4, with its query. */
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeGitlabHook {
  id: number;
  /** A project hook or a group hook, and the project's or group's path. */
  parent: 'projects' | 'groups';
  path: string;
  url: string;
  /** Sent as X-Gitlab-Token. */
  token: string;
}

export interface FakeHookEvent {
  id: number;
  hookId: number;
  /** X-Gitlab-Event, e.g. `Push Hook`. */
  event: string;
  idempotencyKey: string;
  eventUuid: string;
  payload: unknown;
  /** What the receiver answered, as GitLab keeps it: `200`, `502`, or `internal error`. */
  responseStatus: string;
  createdAt: string;
}

export interface FakeGitlab {
  /** The API root, …/api/v4, as `forges[].apiUrl` takes it. */
  url: string;
  requests: GitlabRequest[];
  /** Requests refused as not what GitLab's docs allow (each a reason): a test expects none. */
  malformed: string[];
  notes: Map<number, { project: string; mergeRequest: number; body: string }>;
  statuses: {
    project: string;
    sha: string;
    state: string;
    name: string;
    description: string;
    targetUrl: string | null;
  }[];
  /** Answers to give before the normal ones to notes and statuses, in order. */
  script: ScriptedAnswer[];
  hooks: FakeGitlabHook[];
  /** Every event of every hook, in the order they happened. */
  events: FakeHookEvent[];
  /** The event ids resends were asked for (accepted ones). */
  resendRequests: number[];
  /** Merge requests, opened and edited through the API (fake-gitlab-merge-requests.ts). */
  mergeRequests: FakePullRequests;
  recordEvent(event: Omit<FakeHookEvent, 'id'>): number;
  close(): Promise<void>;
}

const STATES = ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'];
const STATUS_FIELDS = [
  'state',
  'ref',
  'name',
  'context',
  'target_url',
  'description',
  'coverage',
  'pipeline_id',
];
/** GitLab's limit on resends: five a minute per hook and user. */
const RESENDS_PER_MINUTE = 5;

export async function startFakeGitlab(token: string): Promise<FakeGitlab> {
  let nextId = 5000;
  const resentAt = new Map<number, number[]>();
  const fake: Omit<FakeGitlab, 'url' | 'close'> = {
    requests: [],
    malformed: [],
    notes: new Map(),
    statuses: [],
    script: [],
    hooks: [],
    events: [],
    resendRequests: [],
    mergeRequests: new FakePullRequests(),
    recordEvent(event) {
      const id = nextId++;
      fake.events.push({ ...event, id });
      return id;
    },
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const method = req.method ?? '';
    const full = req.url ?? '';
    const refuse = (reason: string) => {
      fake.malformed.push(`${method} ${full}: ${reason}`);
      answer(400, { message: reason });
    };
    if (!full.startsWith('/api/v4/')) return answer(404, { message: '404 Not Found' });
    if (req.headers['private-token'] !== token) return answer(401, { message: '401 Unauthorized' });
    const path = full.slice('/api/v4'.length);
    const url = new URL(path, 'http://fake');
    // `:id` is the URL-encoded path: its slashes arrive as %2F, so one segment.
    const segments = url.pathname.split('/').slice(1);
    const parentId = decodeURIComponent(segments[1] ?? '');
    const text = Buffer.concat(chunks).toString('utf8');
    let body: any = null;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        return refuse('the body is not JSON');
      }
    }
    const route = segments.map((segment, n) => (n === 1 ? ':id' : segment)).join('/');
    const request: GitlabRequest = { method, path, headers: req.headers, body };
    const query = [...url.searchParams.keys()];

    // Merge requests (fake-gitlab-merge-requests.ts)
    const mergeRequests = handleGitlabMergeRequests(
      fake.mergeRequests,
      method,
      route,
      parentId,
      url.searchParams,
      body,
    );
    if (mergeRequests !== undefined) {
      if ('refuse' in mergeRequests) return refuse(mergeRequests.refuse);
      if (scripted(request)) return;
      const done = mergeRequests.run();
      return answer(done.status, done.body);
    }
    // Merge request notes: https://docs.gitlab.com/api/notes/#merge-requests
    const note = /^projects\/:id\/merge_requests\/(\d+)\/notes(?:\/(\d+))?$/.exec(route);
    if (note !== null && (method === 'POST' || method === 'PUT')) {
      const editing = note[2] !== undefined;
      if (editing !== (method === 'PUT')) return answer(405, { message: '405 Method Not Allowed' });
      if (query.length > 0) return refuse('attributes go in the JSON body');
      const allowed = editing
        ? ['body', 'confidential']
        : ['body', 'created_at', 'internal', 'merge_request_diff_head_sha'];
      const unknown = Object.keys(body ?? {}).filter((key) => !allowed.includes(key));
      if (unknown.length > 0) return refuse(`unknown attributes: ${unknown.join(', ')}`);
      if (typeof body?.body !== 'string' || body.body === '' || body.body.length > 1_000_000)
        return refuse('body is required: a string of 1 to 1,000,000 characters');
      return scripted(request) ?? answerNote(request, parentId, Number(note[1]), note[2]);
    }
    // Commit statuses: https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit
    const status = /^projects\/:id\/statuses\/([^/]+)$/.exec(route);
    if (status !== null && method === 'POST') {
      if (query.length > 0) return refuse('attributes go in the JSON body');
      const unknown = Object.keys(body ?? {}).filter((key) => !STATUS_FIELDS.includes(key));
      if (unknown.length > 0) return refuse(`unknown attributes: ${unknown.join(', ')}`);
      if (!STATES.includes(body?.state)) return refuse(`state must be one of ${STATES.join(', ')}`);
      for (const key of ['ref', 'name', 'context', 'target_url', 'description'])
        if (body[key] !== undefined && (typeof body[key] !== 'string' || body[key].length > 255))
          return refuse(`${key} must be a string of at most 255 characters`);
      if (!/^[0-9a-f]{40}$/.test(status[1] as string)) return refuse('sha must be a commit SHA');
      return scripted(request) ?? answerStatus(request, parentId, status[1] as string);
    }
    // Webhooks and their events: https://docs.gitlab.com/api/project_webhooks/ (groups alike)
    const hooks = /^(projects|groups)\/:id\/hooks(?:\/(\d+)\/events(?:\/(\d+)\/resend)?)?$/.exec(
      route,
    );
    if (hooks !== null) {
      if (text !== '') return refuse('these operations take no body');
      const parent = hooks[1] as FakeGitlabHook['parent'];
      const ofParent = fake.hooks.filter((h) => h.parent === parent && h.path === parentId);
      if (hooks[2] === undefined && method === 'GET') {
        if (query.some((key) => !['page', 'per_page'].includes(key)))
          return refuse('hooks take page and per_page only');
        fake.requests.push(request);
        return answer(200, ofParent.map(hookView));
      }
      const hook = ofParent.find((candidate) => candidate.id === Number(hooks[2]));
      if (hooks[3] === undefined && method === 'GET') {
        if (query.some((key) => !['status', 'page', 'per_page'].includes(key)))
          return refuse('events take status, page and per_page only');
        const perPage = Number(url.searchParams.get('per_page') ?? 20);
        const page = Number(url.searchParams.get('page') ?? 1);
        if (!Number.isInteger(perPage) || perPage < 1 || perPage > 20)
          return refuse('per_page does not have a valid value (1..20)');
        if (!Number.isInteger(page) || page < 1) return refuse('page must be a positive integer');
        fake.requests.push(request);
        if (hook === undefined) return answer(404, { message: '404 Not found' });
        return answerEvents(hook, page, perPage);
      }
      if (hooks[3] !== undefined && method === 'POST') {
        if (query.length > 0) return refuse('resend takes no attributes');
        fake.requests.push(request);
        const original = fake.events.find(
          (event) => event.id === Number(hooks[3]) && event.hookId === hook?.id,
        );
        if (hook === undefined || original === undefined)
          return answer(404, { message: '404 Not found' });
        const now = Date.now();
        const recent = (resentAt.get(hook.id) ?? []).filter((at) => now - at < 60_000);
        if (recent.length >= RESENDS_PER_MINUTE)
          return answer(
            429,
            { message: 'This endpoint has been requested too many times. Try again later.' },
            { 'retry-after': '60' },
          );
        resentAt.set(hook.id, [...recent, now]);
        fake.resendRequests.push(original.id);
        const responseStatus = await resend(hook, original);
        return answer(201, { response_status: Number(responseStatus) || responseStatus });
      }
    }
    fake.malformed.push(`${method} ${full}: not an operation storyflow should call`);
    return answer(404, { message: '404 Not Found' });

    function scripted(accepted: GitlabRequest): true | undefined {
      fake.requests.push(accepted);
      const next = fake.script.shift();
      if (next === undefined) return undefined;
      answer(next.status, next.body ?? { message: 'scripted' }, next.headers);
      return true;
    }

    function answerNote(_: GitlabRequest, project: string, iid: number, id: string | undefined) {
      const at = new Date().toISOString();
      if (id !== undefined) {
        const kept = fake.notes.get(Number(id));
        if (kept === undefined || kept.project !== project || kept.mergeRequest !== iid)
          return answer(404, { message: '404 Not found' });
        kept.body = body.body;
        return answer(200, { ...NOTE, id: Number(id), body: body.body, updated_at: at });
      }
      const created = nextId++;
      fake.notes.set(created, { project, mergeRequest: iid, body: body.body });
      return answer(201, {
        ...NOTE,
        id: created,
        body: body.body,
        noteable_iid: iid,
        created_at: at,
        updated_at: at,
      });
    }

    function answerStatus(_: GitlabRequest, project: string, sha: string) {
      const name = body.name ?? body.context ?? 'default';
      const latest = fake.statuses
        .filter((s) => s.project === project && s.sha === sha && s.name === name)
        .at(-1);
      // Only pending and running statuses are reused, so only they refuse their own state.
      if (
        latest !== undefined &&
        latest.state === body.state &&
        ['pending', 'running'].includes(body.state)
      ) {
        const via = body.state === 'pending' ? 'enqueue' : 'run';
        return answer(400, {
          message: `Cannot transition status via :${via} from :${body.state} (Reason(s): Status cannot transition via "${via}")`,
        });
      }
      fake.statuses.push({
        project,
        sha,
        state: body.state,
        name,
        description: body.description ?? '',
        targetUrl: body.target_url ?? null,
      });
      return answer(201, {
        ...STATUS,
        id: nextId++,
        sha,
        name,
        status: body.state,
        description: body.description ?? null,
        target_url: body.target_url ?? null,
        coverage: null,
      });
    }

    function answerEvents(hook: FakeGitlabHook, page: number, perPage: number) {
      const all = fake.events
        .filter((event) => event.hookId === hook.id)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id);
      const items = all.slice((page - 1) * perPage, page * perPage);
      const next = all.length > page * perPage ? String(page + 1) : '';
      return answer(
        200,
        items.map((event) => eventView(hook, event)),
        {
          'x-page': String(page),
          'x-per-page': String(perPage),
          'x-next-page': next,
          'x-total': String(all.length),
        },
      );
    }
  });

  function hookView(hook: FakeGitlabHook) {
    const { project_id: _, ...rest } = HOOK;
    return {
      ...rest,
      id: hook.id,
      url: hook.url,
      ...(hook.parent === 'projects' ? { project_id: 3 } : { group_id: 3 }),
    };
  }

  function eventView(hook: FakeGitlabHook, event: FakeHookEvent) {
    return {
      ...EVENT,
      id: event.id,
      url: hook.url,
      request_headers: {
        ...EVENT.request_headers,
        'Idempotency-Key': event.idempotencyKey,
        'X-Gitlab-Event': event.event,
        'X-Gitlab-Event-UUID': event.eventUuid,
      },
      request_data: event.payload,
      response_status: event.responseStatus,
      created_at: event.createdAt,
    };
  }

  /** Posts the event again as GitLab does, records the attempt, answers its status. */
  async function resend(hook: FakeGitlabHook, original: FakeHookEvent): Promise<string> {
    let responseStatus = 'internal error';
    try {
      const response = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitLab/fake',
          'idempotency-key': original.idempotencyKey,
          'x-gitlab-event': original.event,
          'x-gitlab-event-uuid': randomUUID(),
          'x-gitlab-webhook-uuid': randomUUID(),
          'x-gitlab-token': hook.token,
        },
        body: JSON.stringify(original.payload),
      });
      await response.arrayBuffer();
      responseStatus = String(response.status);
    } catch {
      // Left as "internal error", as GitLab logs a failed connection.
    }
    fake.recordEvent({
      ...original,
      eventUuid: randomUUID(),
      responseStatus,
      createdAt: new Date().toISOString(),
    });
    return responseStatus;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}/api/v4`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as FakeGitlab;
}
