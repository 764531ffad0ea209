// Local stand-ins for Gitea/Forgejo, Bitbucket Cloud and Azure DevOps, for the outbox tests:
// each serves the calls storyflow makes, checks every request against the forge's own API
// description (test/support/forge-api-description.ts) and its authorization header, records and
// refuses anything else, and answers as the description documents (its answers are checked
// against it too). Answers can be scripted (429, 5xx) to test the sender's backoff.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ForgeConfig, ForgeProvider } from '../../src/config/config.js';
import { DEFAULT_LINKBACK_TEMPLATE } from '../../src/domain/outbox/linkback-comment.js';
import { handleGiteaPulls } from './fake-gitea-pulls.js';
import { FakePullRequests } from './fake-pull-requests.js';
import { type ForgeApiDescription, loadForgeApiDescription } from './forge-api-description.js';

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeForgeComment {
  repository: string;
  number: number;
  body: string;
}

export interface FakeForgeStatus {
  repository: string;
  /** The commit (Gitea, Bitbucket) or the pull request (Azure DevOps) it is on. */
  on: string;
  state: string;
  context: string;
  description: string;
  url?: string;
  refname?: string;
}

export interface FakeForge {
  provider: ForgeProvider;
  /** What a `forges:` entry's apiUrl is for this fake. */
  apiUrl: string;
  token: string;
  /** Every request that passed the checks, as `METHOD /path`, in order. */
  requests: string[];
  /** Requests refused as not what the forge documents (each with the reason): expect none. */
  malformed: string[];
  /** Comments by the id storyflow keeps (Azure DevOps: `<threadId>/<commentId>`). */
  comments: Map<string, FakeForgeComment>;
  statuses: FakeForgeStatus[];
  /** Answers to give before the normal ones, in order. */
  script: ScriptedAnswer[];
  /** Pull requests, opened and edited through the API (Gitea's: fake-gitea-pulls.ts). */
  pulls: FakePullRequests;
  close(): Promise<void>;
}

/** A `forges:` entry covering owner (workspace, project) `owner` on `fake`, with defaults. */
export function fakeForgeConfig(
  fake: FakeForge,
  owner: string,
  overrides: Partial<ForgeConfig> = {},
): ForgeConfig {
  return {
    id: `${fake.provider}:${owner}`,
    provider: fake.provider,
    apiUrl: fake.apiUrl,
    owner,
    repository: null,
    token: fake.token,
    linkback: true,
    linkbackTemplate: DEFAULT_LINKBACK_TEMPLATE,
    linkbackLinks: 'console',
    requireStory: false,
    concurrency: 4,
    circuitBreaker: { failures: 5, coolDownMs: 60_000 },
    ...overrides,
  };
}

type Answer = { status: number; body: unknown };
type Handler = (
  operation: string,
  params: Record<string, string>,
  body: any,
  fake: FakeForge,
  query: URLSearchParams,
) => Answer;

interface Flavour {
  provider: ForgeProvider;
  description: ForgeApiDescription;
  /** The path of the API root on the fake's server. */
  root: string;
  authorization(token: string): string;
  handle: Handler;
}

async function startFakeForge(flavour: Flavour, token: string): Promise<FakeForge> {
  const fake = {
    provider: flavour.provider,
    token,
    requests: [] as string[],
    malformed: [] as string[],
    comments: new Map<string, FakeForgeComment>(),
    statuses: [] as FakeForgeStatus[],
    script: [] as ScriptedAnswer[],
    pulls: new FakePullRequests(),
  } as FakeForge;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const method = req.method ?? '';
    const url = req.url ?? '';
    const what = `${method} ${new URL(url, 'http://fake').pathname}`;
    if (req.headers.authorization !== flavour.authorization(token))
      return answer(401, { message: 'unauthorized' });
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    if (text !== '') {
      if (!String(req.headers['content-type']).startsWith('application/json')) {
        fake.malformed.push(`${what}: a JSON body needs content-type application/json`);
        return answer(415, { message: 'unsupported media type' });
      }
      try {
        body = JSON.parse(text);
      } catch {
        fake.malformed.push(`${what}: the body is not JSON`);
        return answer(400, { message: 'bad JSON' });
      }
    }
    const checked = flavour.description.check(method, url, body);
    if (checked === undefined) {
      fake.malformed.push(`${what}: not an operation the description has`);
      return answer(404, { message: 'not found' });
    }
    if (checked.problems.length > 0) {
      fake.malformed.push(`${what}: ${checked.problems.join('; ')}`);
      return answer(400, { message: checked.problems.join('; ') });
    }
    fake.requests.push(what);
    const scripted = fake.script.shift();
    if (scripted !== undefined)
      return answer(scripted.status, scripted.body ?? { message: 'scripted' }, scripted.headers);
    const query = new URL(url, 'http://fake').searchParams;
    const result = flavour.handle(checked.operationId, checked.params, body, fake, query);
    if (result.status < 300) {
      const problems = flavour.description.answerProblems(
        checked.operationId,
        result.status,
        result.body,
      );
      if (problems.length > 0) {
        fake.malformed.push(`${what}: the fake's own answer is off-description: ${problems}`);
        return answer(500, { message: 'the fake erred' });
      }
    }
    return answer(result.status, result.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.apiUrl = `http://127.0.0.1:${port}${flavour.root}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

const AT = '2026-12-03T12:00:00Z';

// Gitea 1.22's swagger (test/fixtures/gitea-api): `Authorization: token …`.
const gitea = loadForgeApiDescription('gitea-api/operations.json');
/** The states CommitStatusState's description names (its schema is any string). */
const GITEA_STATES = ['pending', 'success', 'error', 'failure', 'warning'];

export function startFakeGitea(token: string): Promise<FakeForge> {
  let nextId = 500;
  const comment = (id: number, found: FakeForgeComment) => ({
    id,
    body: found.body,
    html_url: `https://gitea.example.com/${found.repository}/pulls/${found.number}#issuecomment-${id}`,
    pull_request_url: `https://gitea.example.com/${found.repository}/pulls/${found.number}`,
    issue_url: '',
    created_at: AT,
    updated_at: AT,
    user: { id: 7, login: 'storyflow-bot' },
  });
  return startFakeForge(
    {
      provider: 'gitea',
      description: gitea,
      root: '/api/v1',
      authorization: (secret) => `token ${secret}`,
      handle(operation, params, body, fake, query) {
        const repository = `${params.owner}/${params.repo}`;
        const pulls = handleGiteaPulls(fake.pulls, operation, repository, params, query, body);
        if (pulls !== undefined) return pulls;
        if (operation === 'issueCreateComment') {
          const id = nextId++;
          const created = { repository, number: Number(params.index), body: body.body };
          fake.comments.set(String(id), created);
          return { status: 201, body: comment(id, created) };
        }
        if (operation === 'issueEditComment') {
          const found = fake.comments.get(params.id as string);
          if (found === undefined || found.repository !== repository)
            return { status: 404, body: { message: 'comment not found' } };
          found.body = body.body;
          return { status: 200, body: comment(Number(params.id), found) };
        }
        if (!GITEA_STATES.includes(body.state)) {
          fake.malformed.push(`repoCreateStatus: state ${body.state} is not a CommitStatusState`);
          return { status: 422, body: { message: 'invalid state' } };
        }
        fake.statuses.push({
          repository,
          on: params.sha as string,
          state: body.state,
          context: body.context,
          description: body.description,
          ...(body.target_url === undefined ? {} : { url: body.target_url }),
        });
        return {
          status: 201,
          body: {
            id: nextId++,
            status: body.state,
            context: body.context,
            description: body.description,
            target_url: body.target_url ?? '',
            url: `https://gitea.example.com/api/v1/repos/${repository}/statuses/${params.sha}`,
            created_at: AT,
            updated_at: AT,
          },
        };
      },
    },
    token,
  );
}

// Bitbucket Cloud's OpenAPI description (test/fixtures/bitbucket-api): `Authorization: Bearer …`.
// Its base `object` schema requires `type` of every object, request bodies too, where the
// operations' own examples send none: taken as present.
const bitbucket = loadForgeApiDescription('bitbucket-api/operations.json', {
  impliedFields: { type: 'implied' },
});
const BITBUCKET_COMMENTS =
  '/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments';

export function startFakeBitbucket(token: string): Promise<FakeForge> {
  let nextId = 900;
  const comment = (id: number, found: FakeForgeComment) => ({
    type: 'pullrequest_comment',
    id,
    created_on: AT,
    updated_on: AT,
    content: { raw: found.body, markup: 'markdown', html: '' },
    deleted: false,
  });
  return startFakeForge(
    {
      provider: 'bitbucket',
      description: bitbucket,
      root: '/2.0',
      authorization: (secret) => `Bearer ${secret}`,
      handle(operation, params, body, fake) {
        const repository = `${params.workspace}/${params.repo_slug}`;
        if (operation === `POST ${BITBUCKET_COMMENTS}`) {
          const id = nextId++;
          const created = {
            repository,
            number: Number(params.pull_request_id),
            body: body.content.raw,
          };
          fake.comments.set(String(id), created);
          return { status: 201, body: comment(id, created) };
        }
        if (operation === `PUT ${BITBUCKET_COMMENTS}/{comment_id}`) {
          const found = fake.comments.get(params.comment_id as string);
          if (found === undefined || found.repository !== repository)
            return { status: 404, body: { type: 'error', error: { message: 'No such comment' } } };
          found.body = body.content.raw;
          return { status: 200, body: comment(Number(params.comment_id), found) };
        }
        fake.statuses.push({
          repository,
          on: params.commit as string,
          state: body.state,
          context: body.name,
          description: body.description,
          url: body.url,
          refname: body.refname,
        });
        return {
          status: 201,
          body: {
            type: 'build',
            key: body.key,
            state: body.state,
            name: body.name,
            description: body.description,
            url: body.url,
            ...(body.refname === undefined ? {} : { refname: body.refname }),
            created_on: AT,
            updated_on: AT,
          },
        };
      },
    },
    token,
  );
}

// Azure DevOps' Git 7.1 description (test/fixtures/azure-devops-api): Basic with an empty user
// name and the PAT as the password; answers shaped by the description's own examples.
const azure = loadForgeApiDescription('azure-devops-api/git-7.1-operations.json');
const azureExample = (file: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/azure-devops-api/${file}`, import.meta.url), 'utf8'))
    .responses['200'].body;
const THREAD = azureExample(
  'POST__git_repositories__repositoryId__pullRequests__pullRequestId__threads.json',
);
const PR_STATUS = azureExample('POST_git_pullRequestStatuses_status.json');

export function startFakeAzureDevops(token: string): Promise<FakeForge> {
  let nextThread = 140;
  return startFakeForge(
    {
      provider: 'azure-devops',
      description: azure,
      root: '/fabrikam',
      authorization: (secret) => `Basic ${Buffer.from(`:${secret}`).toString('base64')}`,
      handle(operation, params, body, fake) {
        const repository = `${params.project}/${params.repositoryId}`;
        const number = Number(params.pullRequestId);
        if (operation === 'Pull Request Threads_Create') {
          const id = nextThread++;
          const [first] = body.comments;
          fake.comments.set(`${id}/1`, { repository, number, body: first.content });
          const [exampleComment] = THREAD.comments;
          return {
            status: 200,
            body: {
              ...THREAD,
              id,
              status: body.status,
              comments: [{ ...exampleComment, id: 1, content: first.content }],
            },
          };
        }
        if (operation === 'Pull Request Thread Comments_Update') {
          const key = `${params.threadId}/${params.commentId}`;
          const found = fake.comments.get(key);
          if (found === undefined || found.repository !== repository || found.number !== number)
            return { status: 404, body: { message: 'The requested comment could not be found.' } };
          found.body = body.content;
          return { status: 200, body: { ...THREAD.comments[0], id: 1, content: body.content } };
        }
        fake.statuses.push({
          repository,
          on: `PR ${number}`,
          state: body.state,
          context: `${body.context.genre}/${body.context.name}`,
          description: body.description,
          ...(body.targetUrl === undefined ? {} : { url: body.targetUrl }),
        });
        return {
          status: 200,
          body: {
            ...PR_STATUS,
            id: fake.statuses.length,
            state: body.state,
            description: body.description,
            context: body.context,
            targetUrl: body.targetUrl,
          },
        };
      },
    },
    token,
  );
}
