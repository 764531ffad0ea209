// A local stand-in for GitHub's REST API, for the outbox tests: serves the endpoints the outbox
// calls (comments, commit statuses, and a GitHub App's check runs) and checks every request's
// shape against GitHub's OpenAPI description and REST docs (method, path, headers, body fields),
// answering as GitHub does. Answers can be scripted (429, 403 with rate-limit headers, 5xx, 422)
// to test the sender's backoff. Given a FakeGithubApp (fake-github-app.ts) it also mints that
// app's installation tokens, accepts them, and serves the /app/… routes to its JWT; webhooks and
// their deliveries are fake-github-hooks.ts.
//   https://docs.github.com/en/rest/issues/comments#create-an-issue-comment
//   https://docs.github.com/en/rest/issues/comments#update-an-issue-comment
//   https://docs.github.com/en/rest/commits/statuses#create-a-commit-status
//   https://docs.github.com/en/rest/checks/runs#create-a-check-run
//   https://docs.github.com/en/rest/issues/comments#list-issue-comments
// It can also be down (every connection cut) or lose answers (do the work, then cut the
// connection before answering, as a timeout or a crash after GitHub acted looks to the caller).
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ForgeConfig } from '../../src/config/config.js';
import { DEFAULT_LINKBACK_TEMPLATE } from '../../src/domain/outbox/linkback-comment.js';

/** The `forges:` entry for owner `acme` on a fake GitHub, with the loader's defaults. */
export function acmeForge(
  apiUrl: string,
  token: string,
  overrides: Partial<ForgeConfig> = {},
): ForgeConfig {
  return {
    id: 'github:acme',
    provider: 'github',
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

import {
  type FakeGithubApp,
  handleAppRoute,
  installationOfToken,
  jwtProblem,
} from './fake-github-app.js';
import { type FakeHookDeliveries, fakeHookDeliveries } from './fake-github-hooks.js';
import { handleGithubPulls } from './fake-github-pulls.js';
import { FakePullRequests } from './fake-pull-requests.js';
import { checkGithubRequest, githubAnswer } from './github-openapi.js';

export interface FakeRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeGithub {
  url: string;
  /** Every request that passed the shape checks, in order. */
  requests: FakeRequest[];
  /** Requests refused as malformed (each a reason): a test expects none. */
  malformed: string[];
  /** Comments by id, as GitHub would keep them. */
  comments: Map<number, { repository: string; issue: number; body: string }>;
  statuses: {
    repository: string;
    sha: string;
    state: string;
    context: string;
    description: string;
  }[];
  /** Check runs by id (a GitHub App's), as GitHub would keep them. */
  checkRuns: Map<
    number,
    {
      repository: string;
      headSha: string;
      name: string;
      conclusion: string;
      output: { title: string; summary: string };
    }
  >;
  /** The GitHub App whose installation tokens are accepted too (fake-github-app.ts). */
  app?: FakeGithubApp;
  /** Answers to give before the normal ones, in order. */
  script: ScriptedAnswer[];
  /** Repository webhooks and their deliveries (fake-github-hooks.ts). */
  hookDeliveries: FakeHookDeliveries;
  /** Pull requests, opened and edited through the API (fake-github-pulls.ts). */
  pulls: FakePullRequests;
  /** While true, every connection is cut at once, before anything is done. */
  down: boolean;
  /** This many requests are carried out, then their connection is cut before the answer. */
  loseAnswers: number;
  /** Called with each accepted request before it is answered. */
  onRequest?: (request: FakeRequest) => Promise<void> | void;
  close(): Promise<void>;
}

const STATES = ['error', 'failure', 'pending', 'success'];

/**
 * `app`: a GitHub App whose tokens it mints and accepts; `port`: where to listen (default any free
 * one), e.g. a port a server was told of while down.
 */
export async function startFakeGithub(
  token: string,
  app?: FakeGithubApp,
  port = 0,
): Promise<FakeGithub> {
  let nextId = 1000;
  const fake: Omit<FakeGithub, 'url' | 'close'> = {
    requests: [],
    malformed: [],
    comments: new Map(),
    statuses: [],
    checkRuns: new Map(),
    ...(app === undefined ? {} : { app }),
    script: [],
    hookDeliveries: fakeHookDeliveries(),
    pulls: new FakePullRequests(),
    down: false,
    loseAnswers: 0,
  };
  let baseUrl = '';
  const server = createServer(async (req, res) => {
    if (fake.down) return req.socket.destroy();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (status < 300 && fake.loseAnswers > 0) {
        fake.loseAnswers -= 1;
        return req.socket.destroy();
      }
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const refuse = (reason: string) => {
      fake.malformed.push(`${req.method} ${req.url}: ${reason}`);
      answer(422, { message: `Validation Failed: ${reason}` });
    };
    const path = req.url ?? '';
    const authorization = req.headers.authorization;
    // The app's own routes take its JWT (checked below); the others a token.
    const jwtRoute = /^\/app\/|^\/(repos\/[^/]+|orgs|users)\/[^/]+\/installation$/.test(
      path.split('?')[0] as string,
    );
    if (
      !jwtRoute &&
      authorization !== `Bearer ${token}` &&
      (fake.app === undefined || installationOfToken(fake.app, authorization) === undefined)
    )
      return answer(401, { message: 'Bad credentials' });
    // GitHub's media types: application/vnd.github+json, or a preview's (auth-app asks for one).
    if (!/^application\/vnd\.github[\w.-]*\+json$/.test(req.headers.accept ?? ''))
      return refuse('accept must be application/vnd.github+json');
    if (!req.headers['user-agent']) return refuse('a User-Agent is required');
    // Every request is checked against GitHub's own description of the operation first.
    const text = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        return answer(400, { message: 'Problems parsing JSON' });
      }
    }
    const documented = checkGithubRequest(req.method ?? '', path, parsed);
    if (documented === undefined) {
      fake.malformed.push(`${req.method} ${path}: not an operation of GitHub's REST API`);
      return answer(404, { message: 'Not Found' });
    }
    if (documented.problems.length > 0) return refuse(documented.problems.join('; '));
    if (jwtRoute) {
      if (fake.app === undefined) return answer(401, { message: 'Bad credentials' });
      const appAnswer = handleAppRoute(fake.app, req.method ?? '', path, authorization);
      if (appAnswer !== undefined) {
        fake.requests.push({ method: req.method ?? '', path, headers: req.headers, body: parsed });
        return answer(appAnswer.status, appAnswer.body);
      }
      const problem = jwtProblem(fake.app, authorization);
      if (problem !== undefined) return answer(401, { message: `JWT: ${problem}` });
    }
    // The hooks' routes take no body (GET, and POST …/attempts).
    const hooks = await fake.hookDeliveries.handle(req.method ?? '', path, baseUrl);
    if (hooks !== undefined) {
      if (chunks.length > 0) return refuse('no body is taken');
      fake.requests.push({ method: req.method ?? '', path, headers: req.headers, body: null });
      return answer(hooks.status, hooks.body, hooks.headers);
    }
    const body: any = parsed;
    const request: FakeRequest = { method: req.method ?? '', path, headers: req.headers, body };
    const pulls = handleGithubPulls(fake.pulls, req.method ?? '', path, body);
    if (pulls !== undefined) {
      await fake.onRequest?.(request);
      fake.requests.push(request);
      const scripted = fake.script.shift();
      if (scripted !== undefined)
        return answer(scripted.status, scripted.body ?? { message: 'scripted' }, scripted.headers);
      const pullAnswer = pulls();
      if (pullAnswer.lost === true) return req.socket.destroy();
      return answer(pullAnswer.status, pullAnswer.body);
    }
    const create =
      req.method === 'POST'
        ? /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path)
        : null;
    const list =
      req.method === 'GET'
        ? /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments(?:\?|$)/.exec(path)
        : null;
    const update = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(path);
    const status = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(path);
    const createCheck = /^\/repos\/([^/]+)\/([^/]+)\/check-runs$/.exec(path);
    const updateCheck = /^\/repos\/([^/]+)\/([^/]+)\/check-runs\/(\d+)$/.exec(path);
    if (
      (createCheck || updateCheck) &&
      installationOfToken(fake.app as FakeGithubApp, authorization) === undefined
    )
      return answer(403, { message: 'You must authenticate via a GitHub App.' });
    if ((create || update) && (typeof body?.body !== 'string' || body.body === ''))
      return refuse('body must be a non-empty string');
    if ((create || update) && Object.keys(body).some((key) => key !== 'body'))
      return refuse('only body is accepted');
    if (status) {
      if (!STATES.includes(body?.state))
        return refuse('state must be error|failure|pending|success');
      if (typeof body.context !== 'string') return refuse('context must be a string');
      if (typeof body.description !== 'string' || body.description.length > 140)
        return refuse('description must be a string of at most 140 characters');
      const known = ['state', 'context', 'description', 'target_url'];
      if (Object.keys(body).some((key) => !known.includes(key))) return refuse('unknown field');
    }
    const matched =
      list ||
      (create && req.method === 'POST') ||
      (update && req.method === 'PATCH') ||
      (status && req.method === 'POST') ||
      (createCheck && req.method === 'POST') ||
      (updateCheck && req.method === 'PATCH');
    if (!matched) return answer(404, { message: 'Not Found' });
    await fake.onRequest?.(request);
    const scripted = fake.script.shift();
    if (scripted !== undefined) {
      fake.requests.push(request);
      return answer(scripted.status, scripted.body ?? { message: 'scripted' }, scripted.headers);
    }
    fake.requests.push(request);
    if (list) {
      const repository = `${list[1]}/${list[2]}`;
      const query = new URL(path, 'http://github.invalid').searchParams;
      const perPage = Number(query.get('per_page') ?? 30);
      const page = Number(query.get('page') ?? 1);
      const [template] = githubAnswer<any>('issues/list-comments', 200) as unknown as any[];
      const all = [...fake.comments]
        .filter(([, c]) => c.repository === repository && c.issue === Number(list[3]))
        .map(([id, c]) => ({
          ...template,
          id,
          body: c.body,
          html_url: `https://github.com/${repository}/issues/${c.issue}#issuecomment-${id}`,
        }));
      return answer(200, all.slice((page - 1) * perPage, page * perPage));
    }
    if (create) {
      const id = nextId++;
      const repository = `${create[1]}/${create[2]}`;
      fake.comments.set(id, { repository, issue: Number(create[3]), body: body.body });
      return answer(
        201,
        githubAnswer('issues/create-comment', 201, {
          id,
          body: body.body,
          html_url: `https://github.com/${repository}/issues/${create[3]}#issuecomment-${id}`,
        }),
      );
    }
    if (update) {
      const comment = fake.comments.get(Number(update[3]));
      if (comment === undefined) return answer(404, { message: 'Not Found' });
      comment.body = body.body;
      return answer(
        200,
        githubAnswer('issues/update-comment', 200, { id: Number(update[3]), body: body.body }),
      );
    }
    if (createCheck) {
      const id = nextId++;
      const run = {
        repository: `${createCheck[1]}/${createCheck[2]}`,
        headSha: body.head_sha,
        name: body.name,
        conclusion: body.conclusion,
        output: body.output,
      };
      fake.checkRuns.set(id, run);
      return answer(201, checkRunAnswer('checks/create', 201, id, run));
    }
    if (updateCheck) {
      const run = fake.checkRuns.get(Number(updateCheck[3]));
      if (run === undefined) return answer(404, { message: 'Not Found' });
      Object.assign(run, {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.conclusion === undefined ? {} : { conclusion: body.conclusion }),
        ...(body.output === undefined ? {} : { output: body.output }),
      });
      return answer(200, checkRunAnswer('checks/update', 200, Number(updateCheck[3]), run));
    }
    if (status) {
      fake.statuses.push({
        repository: `${status[1]}/${status[2]}`,
        sha: status[3] as string,
        state: body.state,
        context: body.context,
        description: body.description,
      });
      return answer(
        201,
        githubAnswer('repos/create-commit-status', 201, {
          id: nextId++,
          state: body.state,
          context: body.context,
          description: body.description,
        }),
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(fake, {
    url: baseUrl,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as FakeGithub;
}

function checkRunAnswer(
  operationId: string,
  status: number,
  id: number,
  run: {
    headSha: string;
    name: string;
    conclusion: string;
    output: { title: string; summary: string };
  },
): Record<string, unknown> {
  const example = githubAnswer<Record<string, any>>(operationId, status);
  return githubAnswer(operationId, status, {
    id,
    head_sha: run.headSha,
    name: run.name,
    status: 'completed',
    conclusion: run.conclusion,
    output: { ...example.output, title: run.output.title, summary: run.output.summary },
  });
}
