// docs/ci/*.md cannot drift from what works: every code block is either a file under
// examples/ included verbatim (and those files are run by the other tests in test/ci), or is
// run here. The GitHub Actions walkthrough is followed from a fresh server to a story that
// moves when the example workflow runs. The only edits to a snippet are the placeholders a
// reader fills in too: the server's address, the tokens, where the client is downloaded from.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOCS_CI_DIR,
  exampleFiles,
  pullRequestOpened,
  REPO_ROOT,
  REPOSITORY,
  scratchDir,
  stageAction,
} from '../support/ci-examples.js';
import { type CiHarness, startCiHarness } from '../support/ci-harness.js';
import { baseEnv, runProcess } from '../support/ci-process.js';
import { runShellSnippets, type Snippet, snippetsOf } from '../support/doc-snippets.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { loadWorkflow, runGithubWorkflow } from '../support/github-runner.js';
import { http } from '../support/http.js';
import { BIN } from '../support/run-cli.js';
import {
  freePort,
  killAll,
  type ServerProcess,
  startServerProcess,
} from '../support/server-process.js';

const PAGES = ['github-actions.md', 'gitlab-ci.md', 'jenkins.md', 'other.md'];
const CLIENT_URL = 'https://raw.githubusercontent.com/acme/storyflow/v1/action/index.cjs';
const TOKEN = 'sfp_…';
/** The snippets run below, by their `<!-- test: id -->`. */
const TESTED = [
  'fresh-clone',
  'admin-token',
  'ci-token',
  'try-locally',
  'jenkins-token',
  'other-client',
  'other-curl',
];

const all: Snippet[] = PAGES.flatMap((page) => snippetsOf(join(DOCS_CI_DIR, page)));
const snippet = (id: string): string => {
  const found = all.filter(
    (candidate) => candidate.marker?.kind === 'test' && candidate.marker.id === id,
  );
  if (found.length !== 1) throw new Error(`expected one snippet "${id}", found ${found.length}`);
  return (found[0] as Snippet).text;
};

/** A directory with a `storyflow` command (bin/storyflow), as `npm install -g` would give. */
function storyflowOnPath(dir: string): string {
  const shim = join(dir, 'storyflow');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(shim, 0o755);
  return dir;
}

describe('docs/ci: every code block is an included example or run by a test', () => {
  it('has the four pages', () => {
    expect(readdirSync(DOCS_CI_DIR).sort()).toEqual([...PAGES].sort());
  });

  it('every code block has a marker', () => {
    const unmarked = all.filter((candidate) => candidate.marker === undefined);
    expect(unmarked.map((candidate) => `${candidate.page}:${candidate.line}`)).toEqual([]);
  });

  it('every included example is the file, byte for byte, in a block of its language', () => {
    const languages: Record<string, string> = { yml: 'yaml', yaml: 'yaml', sh: 'sh' };
    for (const candidate of all) {
      if (candidate.marker?.kind !== 'include') continue;
      const file = join(REPO_ROOT, candidate.marker.path);
      expect(candidate.marker.path, `${candidate.page}:${candidate.line}`).toMatch(/^examples\//);
      expect(candidate.text, `${candidate.page}:${candidate.line}`).toBe(
        readFileSync(file, 'utf8'),
      );
      const extension = file.endsWith('Jenkinsfile')
        ? 'groovy'
        : languages[file.split('.').pop() ?? ''];
      expect(candidate.lang, `${candidate.page}:${candidate.line}`).toBe(extension);
    }
  });

  it('the tested snippets are exactly the ones this file runs', () => {
    const ids = all.flatMap((candidate) =>
      candidate.marker?.kind === 'test' ? [candidate.marker.id] : [],
    );
    expect([...ids].sort()).toEqual([...TESTED].sort());
  });

  it('every file under examples/ is run by a test in test/ci', () => {
    const tests = readdirSync(join(REPO_ROOT, 'test/ci'))
      .filter((file) => file.endsWith('.test.ts'))
      .map((file) => readFileSync(join(REPO_ROOT, 'test/ci', file), 'utf8'))
      .join('\n');
    for (const file of exampleFiles()) {
      // The tests name examples relative to examples/ (join(EXAMPLES_DIR, 'gitlab-ci/…')).
      const inside = file.replace(/^examples\//, '');
      const named = tests.includes(`'${inside}'`) || tests.includes(`'${file}'`);
      expect(named, `${file} is not run by any test in test/ci`).toBe(true);
    }
  });

  it('relative links point at files and headings that exist', () => {
    for (const page of PAGES) {
      const text = readFileSync(join(DOCS_CI_DIR, page), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (target === undefined || /^https?:/.test(target)) continue;
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const file = resolve(DOCS_CI_DIR, path);
        expect(existsSync(file), `${page}: ${target}`).toBe(true);
        if (anchor !== undefined && file.endsWith('.md')) {
          const slugs = [...readFileSync(file, 'utf8').matchAll(/^#+ (.+)$/gm)].map((heading) =>
            (heading[1] ?? '')
              .toLowerCase()
              .replace(/[^a-z0-9 -]/g, '')
              .replace(/ /g, '-'),
          );
          expect(slugs, `${page}: ${target}`).toContain(anchor);
        }
      }
    }
  });
});

describe('docs/ci/github-actions.md, followed from a fresh clone', () => {
  const processes: ServerProcess[] = [];
  let scratch: ReturnType<typeof scratchDir>;
  let server: ServerProcess;
  let adminToken: string;
  let ciToken: string;

  beforeAll(async () => {
    scratch = scratchDir('walkthrough');
    // `npm start` is `node <V8 flags> dist/main.js serve`, which bin/storyflow runs: a fresh
    // server, in an empty directory (its database becomes ./data/storyflow.db there), no admin
    // token set.
    const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(packageJson.scripts.start).toMatch(/^node (--[\w-]+=\S+ )*dist\/main\.js serve$/);
    expect(packageJson.scripts.prepare).toBe('npm run build');
    expect(readFileSync(BIN, 'utf8')).toContain("'../dist/main.js'");
    server = await startServerProcess(
      { name: 'npm start', cwd: scratch.dir, port: await freePort(), env: {} },
      processes,
    );
  });
  afterAll(async () => {
    await killAll(processes);
    scratch?.remove();
  });

  it('fresh-clone: clone, install, start', () => {
    expect(snippet('fresh-clone')).toBe(
      'git clone https://github.com/acme/storyflow.git && cd storyflow\nnpm install && npm start\n',
    );
    expect(existsSync(join(scratch.dir, 'data/storyflow.db'))).toBe(true);
    // The log line the page tells the reader to look for.
    const logged = /It is shown only this once: (sfp_[A-Za-z0-9_-]+)/.exec(server.output());
    expect(logged, server.output()).not.toBeNull();
    adminToken = logged?.[1] as string;
  });

  it('admin-token, ci-token: import the stories and create the workflow token', async () => {
    const result = await runShellSnippets(
      [
        {
          text: snippet('admin-token'),
          replace: { 'http://localhost:8080': server.baseUrl, [TOKEN]: adminToken },
        },
        { text: snippet('ci-token') },
      ],
      { cwd: REPO_ROOT, env: baseEnv(scratch.dir) },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `Imported ${fixtureStories().length} stories from test/fixtures/stories: ${fixtureStories().length} created`,
    );
    expect(result.stdout).toContain(
      `"github-actions" with ci:events, deployments:write, stories:read on ${REPOSITORY}.`,
    );
    ciToken = /^(sfp_\S+)$/m.exec(result.stdout)?.[1] as string;
    expect(ciToken).toMatch(/^sfp_/);
    // The recipe's token is enough for a dry run (which asks /rules/simulate).
    const dryRun = await runProcess(
      process.execPath,
      [
        BIN,
        'ci',
        'event',
        '--kind',
        'push',
        '--repository',
        REPOSITORY,
        '--branch',
        'int-003-cicd-integration-endpoints',
        '--sha',
        '3f786850e387550fdab836ed7e6dc881de23001b',
        '--dry-run',
        '--url',
        server.baseUrl,
        '--token',
        ciToken,
      ],
      { cwd: scratch.dir, env: baseEnv(scratch.dir) },
    );
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain(
      'storyflow (dry run) would: INT-003 status: draft → in_progress',
    );
  });

  it('try-locally: running the action by hand moves INT-003 to in_progress', async () => {
    const result = await runShellSnippets(
      [
        {
          text: snippet('admin-token'),
          replace: { 'http://localhost:8080': server.baseUrl, [TOKEN]: adminToken },
        },
        { text: snippet('try-locally'), replace: { [TOKEN]: ciToken } },
      ],
      { cwd: REPO_ROOT, env: baseEnv(scratch.dir) },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('storyflow: INT-003 status: draft → in_progress\n');
    const exported = await http(server.baseUrl, 'GET', '/api/v1/stories/INT-003.md', {
      token: adminToken,
    });
    expect(exported.text).toMatch(/^status: in_progress$/m);
  });

  it('on GitHub: the pull request workflow moves INT-003 to in_review', async () => {
    const result = await runGithubWorkflow({
      workflow: await loadWorkflow(join(REPO_ROOT, 'examples/github-actions/storyflow-pr.yml')),
      eventName: 'pull_request',
      payload: pullRequestOpened(),
      actionPath: stageAction(scratch.dir),
      workDir: join(scratch.dir, 'runner'),
      vars: { STORYFLOW_URL: server.baseUrl },
      secrets: { STORYFLOW_TOKEN: ciToken },
    });
    expect(result.job('build').status).toBe('success');
    expect(result.job('build').summary).toContain('| INT-003 | status | in_progress | in_review |');
    const story = await http(server.baseUrl, 'GET', '/api/v1/stories/INT-003', {
      token: adminToken,
    });
    expect(story.body.status).toBe('in_review');
  });
});

describe('docs/ci: the other snippets, against a live server', () => {
  const harnesses: CiHarness[] = [];
  let scratch: ReturnType<typeof scratchDir>;
  let clientUrl: string;
  let token: string;
  /** A server of its own for each test, so no test sees another's changes. */
  const fresh = async () => {
    const harness = await startCiHarness();
    harnesses.push(harness);
    token = await harness.createToken('other-ci', ['ci:events', 'deployments:write'], [REPOSITORY]);
    return harness;
  };

  beforeAll(() => {
    scratch = scratchDir('docs-snippets');
    clientUrl = `file://${stageAction(scratch.dir)}/action/index.cjs`;
  });
  afterAll(async () => {
    await Promise.all(harnesses.map((harness) => harness.close()));
    scratch?.remove();
  });

  it('jenkins-token: the token Jenkins needs', async () => {
    const harness = await fresh();
    const result = await runShellSnippets([{ text: snippet('jenkins-token') }], {
      cwd: scratch.dir,
      env: {
        ...baseEnv(scratch.dir),
        PATH: `${storyflowOnPath(scratch.dir)}:${process.env.PATH}`,
        STORYFLOW_URL: harness.server.url,
        STORYFLOW_TOKEN: harness.server.token,
      },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^Created token tok_\S+ "jenkins" with ci:events, deployments:write on your-org\/your-repo, expires \S+\.$/m,
    );
    expect(result.stdout).toMatch(/^sfp_\S+$/m);
  });

  it('other-client: the single-file client on a CI it does not know', async () => {
    const harness = await fresh();
    const cwd = join(scratch.dir, 'circleci');
    mkdirSync(cwd, { recursive: true });
    const result = await runShellSnippets(
      [
        {
          text: snippet('other-client'),
          replace: {
            [CLIENT_URL]: clientUrl,
            'https://storyflow.example.com': harness.server.url,
            [TOKEN]: token,
          },
        },
      ],
      {
        cwd,
        env: {
          ...baseEnv(scratch.dir),
          CIRCLECI: 'true',
          CIRCLE_BRANCH: 'int-003-cicd-integration-endpoints',
          CIRCLE_SHA1: '9c1185a5c5e9fc54612808977ee8f548b2258d31',
          CIRCLE_WORKFLOW_ID: 'a1b2c3d4-0000-4000-8000-000000000001',
        },
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      'storyflow: INT-003 labels: ["integration","cicd","automation","webhooks"] → ["integration","cicd","automation","webhooks","ci-failing"]\n' +
        'storyflow: ci deploy staging success reported; no story changed\n',
    );
    const [deployment] = await harness.linksOf('INT-003', 'deployment');
    expect(deployment).toMatchObject({ key: 'staging', state: 'succeeded' });
  });

  it('other-curl: the curl script reports once, however often it runs', async () => {
    const harness = await fresh();
    // Run where the page runs it: a checkout of storyflow, by the script's path there.
    const script = 'examples/other/storyflow-report.sh';
    expect(snippet('other-curl')).toContain(`\n${script} pipeline failure\n`);
    const cwd = REPO_ROOT;
    const run = () =>
      runShellSnippets(
        [
          {
            text: snippet('other-curl'),
            replace: { 'https://storyflow.example.com': harness.server.url, [TOKEN]: token },
          },
        ],
        { cwd, env: baseEnv(scratch.dir) },
      );
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    const [pipelineAnswer, deployAnswer] = first.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(pipelineAnswer).toMatchObject({ duplicate: false, status: 'processed' });
    expect(pipelineAnswer.operations[0].changes).toContainEqual(
      expect.objectContaining({ story: 'INT-003', field: 'labels' }),
    );
    expect(deployAnswer).toMatchObject({ duplicate: false, status: 'processed' });
    const operations = (await harness.operations()).length;
    const again = await run();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    expect((await harness.operations()).length).toBe(operations);
    const links = await harness.linksOf('INT-003', 'pipeline');
    expect(links).toContainEqual(
      expect.objectContaining({ state: 'failed', url: 'https://ci.example.com/builds/1234' }),
    );
  });
});
