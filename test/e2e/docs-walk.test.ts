// The README and docs/ cannot drift from what storyflow does: every code block on these pages
// is run here against a real `serve` process (a SQLite file, its threads, as `npm start` runs
// it) and what each command prints is compared with the output the page shows (see
// test/support/doc-walk.ts for how a page shows output, and `…` for ids and times), or it is
// a config fragment this test loads, or it is listed below as not run, with the reason.
// docs/ci/*.md is walked the same way by test/ci/docs.test.ts, docs/automation.md by
// test/e2e/automation-docs.test.ts.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { REPO_ROOT, scratchDir } from '../support/ci-examples.js';
import { baseEnv, runProcess } from '../support/ci-process.js';
import { type Snippet, snippetsOf } from '../support/doc-snippets.js';
import { matchesSample, mismatches, walkSnippets } from '../support/doc-walk.js';
import { BIN } from '../support/run-cli.js';
import {
  freePort,
  killAll,
  type ServerProcess,
  startServerProcess,
} from '../support/server-process.js';

/** A GitHub App's private key, as GitHub hands it out (PKCS#1 PEM). */
const APP_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();

const PAGES = [
  'README.md',
  'docs/webhooks.md',
  'docs/api.md',
  'docs/security.md',
  'docs/cli.md',
  'docs/configuration.md',
  'docs/story-documents.md',
  'docs/git-sync.md',
];

/** Blocks shown but not run, and why: a new one fails here until it is run or listed. */
const NOT_RUN: Record<string, number> = {
  'docs/api.md': 1,
  'README.md': 5,
  'docs/security.md': 1,
  'docs/git-sync.md': 6,
};

/** The blocks run below, by their `<!-- test: id -->`. */
const TESTED = [
  'readme-bootstrap',
  'readme-tour',
  'readme-token',
  'readme-repos-config',
  'readme-repos',
  'security-log',
  'security-tokens',
  'security-audit',
  'cli-import',
  'cli-export',
  'api-import',
  'api-import-error',
  'webhooks-ci-event',
  'webhooks-deployment',
  'webhooks-replay',
  'config-error',
  'config-database-url',
  'story-document',
];

const all: Snippet[] = PAGES.flatMap((page) => snippetsOf(join(REPO_ROOT, page)));
const snippet = (id: string): string => {
  const found = all.filter(
    (candidate) => candidate.marker?.kind === 'test' && candidate.marker.id === id,
  );
  if (found.length !== 1) throw new Error(`expected one snippet "${id}", found ${found.length}`);
  return (found[0] as Snippet).text;
};

describe('README.md and docs/: every code block is run, loaded, or listed as not run', () => {
  it('every code block has a marker', () => {
    const unmarked = all.filter((candidate) => candidate.marker === undefined);
    expect(unmarked.map((candidate) => `${candidate.page}:${candidate.line}`)).toEqual([]);
  });

  it('the blocks not run are the ones listed, each with its reason', () => {
    const counts: Record<string, number> = {};
    for (const candidate of all) {
      if (candidate.marker?.kind !== 'not-run') continue;
      expect(candidate.marker.reason, `${candidate.page}:${candidate.line}`).not.toBe('');
      counts[candidate.page] = (counts[candidate.page] ?? 0) + 1;
    }
    expect(counts).toEqual(NOT_RUN);
  });

  it('the tested blocks are exactly the ones this file runs', () => {
    const ids = all.flatMap((candidate) =>
      candidate.marker?.kind === 'test' ? [candidate.marker.id] : [],
    );
    expect([...ids].sort()).toEqual([...TESTED].sort());
  });

  it('every config fragment loads as storyflow.config.yaml', () => {
    const scratch = scratchDir('docs-config');
    try {
      for (const candidate of all) {
        if (candidate.marker?.kind !== 'config') continue;
        writeFileSync(join(scratch.dir, 'storyflow.config.yaml'), candidate.text);
        expect(
          () =>
            loadConfig({
              // The variables the forges: (docs/configuration.md) and repositories: (docs/git-sync.md)
              // examples read their tokens from.
              env: {
                STORYFLOW_ADMIN_TOKEN: 'x'.repeat(32),
                ACME_GITHUB_TOKEN: 'ghp_example',
                ACME_GITEA_TOKEN: 'gitea_example',
                ACME_BITBUCKET_TOKEN: 'bitbucket_example',
                FABRIKAM_AZURE_PAT: 'azure_example',
                ACME_GITLAB_TOKEN: 'glpat-example',
                ACME_SHOP_GIT_TOKEN: 'token',
                // The GitHub App example's key (docs/forge-feedback.md).
                ACME_GITHUB_APP_KEY: APP_KEY,
              },
              cwd: scratch.dir,
            }),
          `${candidate.page}:${candidate.line}`,
        ).not.toThrow();
      }
    } finally {
      scratch.remove();
    }
  });
});

describe('docs/configuration.md', () => {
  it('config-error: a bad setting stops `storyflow serve` with the message the page shows', async () => {
    const scratch = scratchDir('config-error');
    try {
      writeFileSync(join(scratch.dir, 'storyflow.config.yaml'), 'server:\n  port: eighty\n');
      const run = await runProcess(process.execPath, [BIN, 'serve'], {
        cwd: scratch.dir,
        env: baseEnv(scratch.dir),
      });
      expect(run.code).toBe(2);
      // The page's server keeps its config in /srv/storyflow.
      const printed = run.stderr.replaceAll(scratch.dir, '/srv/storyflow');
      expect(matchesSample(printed, snippet('config-error')), printed).toBe(true);
    } finally {
      scratch.remove();
    }
  });

  it('config-database-url: a bad database URL stops `storyflow serve` with the message the page shows', async () => {
    const scratch = scratchDir('config-database-url');
    try {
      const run = await runProcess(process.execPath, [BIN, 'serve'], {
        cwd: scratch.dir,
        env: { ...baseEnv(scratch.dir), STORYFLOW_DATABASE_URL: 'postgres://u:hunter2@h:99999/db' },
      });
      expect(run.code).toBe(2);
      expect(matchesSample(run.stderr, snippet('config-database-url')), run.stderr).toBe(true);
    } finally {
      scratch.remove();
    }
  });
});

/** A directory with a `storyflow` command (bin/storyflow), as `npm install -g` would give. */
function storyflowOnPath(dir: string): string {
  const shim = join(dir, 'storyflow');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(shim, 0o755);
  return dir;
}

/** A directory laid out like the repository for the commands a page runs (bin/, test/). */
function workingCopy(dir: string): string {
  symlinkSync(join(REPO_ROOT, 'bin'), join(dir, 'bin'));
  symlinkSync(join(REPO_ROOT, 'test'), join(dir, 'test'));
  return dir;
}

describe('README.md, followed from a fresh start', () => {
  const processes: ServerProcess[] = [];
  let scratch: ReturnType<typeof scratchDir>;
  let server: ServerProcess;
  let token: string;
  let host: string;

  beforeAll(async () => {
    scratch = scratchDir('readme');
    workingCopy(scratch.dir);
    // `npm start` in a fresh directory, no admin token set: it prints one.
    server = await startServerProcess(
      { name: 'npm start', cwd: scratch.dir, port: await freePort(), env: {} },
      processes,
    );
    token = /It is shown only this once: (sfp_[A-Za-z0-9_-]+)/.exec(server.output())?.[1] ?? '';
    expect(token, server.output()).toMatch(/^sfp_/);
    host = server.baseUrl.replace('http://', '');
  });
  afterAll(async () => {
    await killAll(processes);
    scratch?.remove();
  });

  it('readme-tour, readme-token: the tour and the Jenkins token print what the page shows', async () => {
    const result = await walkSnippets(
      [
        { text: snippet('readme-tour'), replace: { 'localhost:8080': host, 'sfp_…': token } },
        { text: snippet('readme-token') },
      ],
      { cwd: scratch.dir, env: { ...baseEnv(scratch.dir), STORYFLOW_URL: server.baseUrl } },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(mismatches(result)).toEqual([]);
    expect(result.segments.filter((segment) => segment.expected !== undefined)).toHaveLength(11);
  });

  it('readme-bootstrap: on the server machine, with tokens already there', async () => {
    const result = await walkSnippets([{ text: snippet('readme-bootstrap') }], {
      cwd: scratch.dir,
      env: baseEnv(scratch.dir),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(mismatches(result)).toEqual([]);
    const made = /^(sfp_\S+)$/m.exec(result.segments[0]?.actual ?? '')?.[1];
    const answer = await fetch(`${server.baseUrl}/api/v1/tokens`, {
      headers: { authorization: `Bearer ${made}` },
    });
    expect(answer.status).toBe(200);
  });
});

describe('README.md, stories as files: a server with the repository the page binds', () => {
  const processes: ServerProcess[] = [];
  let scratch: ReturnType<typeof scratchDir>;
  let server: ServerProcess;
  let token: string;

  beforeAll(async () => {
    scratch = scratchDir('readme-repos');
    workingCopy(scratch.dir);
    // The repository the page names (/srv/git/shop.git), with one story, and a clone at ./shop.
    const bare = join(scratch.dir, 'shop.git');
    const clone = join(scratch.dir, 'shop');
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', args, {
        cwd,
        env: { ...baseEnv(scratch.dir), GIT_CONFIG_NOSYSTEM: '1' },
      });
    mkdirSync(bare);
    git(bare, 'init', '--bare', '--quiet', '--initial-branch=main');
    git(scratch.dir, 'clone', '--quiet', bare, clone);
    git(clone, 'config', 'user.name', 'A Person');
    git(clone, 'config', 'user.email', 'person@example.com');
    git(clone, 'checkout', '--quiet', '-b', 'main');
    mkdirSync(join(clone, 'docs/stories'), { recursive: true });
    writeFileSync(
      join(clone, 'docs/stories/SHOP-1.md'),
      '---\nid: SHOP-1\ntitle: Pay with a saved card\nstatus: ready\n---\n\n## Story\n\nAs a shopper, I want to pay with a saved card.\n',
    );
    git(clone, 'add', '--all');
    git(clone, 'commit', '--quiet', '-m', 'SHOP-1');
    git(clone, 'push', '--quiet', '--set-upstream', 'origin', 'main');
    writeFileSync(
      join(scratch.dir, 'storyflow.config.yaml'),
      snippet('readme-repos-config').replace('file:///srv/git/shop.git', pathToFileURL(bare).href),
    );
    server = await startServerProcess(
      { name: 'serve with repositories:', cwd: scratch.dir, port: await freePort(), env: {} },
      processes,
    );
    token = /It is shown only this once: (sfp_[A-Za-z0-9_-]+)/.exec(server.output())?.[1] ?? '';
    expect(token, server.output()).toMatch(/^sfp_/);
  });
  afterAll(async () => {
    await killAll(processes);
    scratch?.remove();
  });

  it('readme-repos: a sync, an edit pushed and synced, and the status print what the page shows', async () => {
    const result = await walkSnippets([{ text: snippet('readme-repos') }], {
      cwd: scratch.dir,
      env: {
        ...baseEnv(scratch.dir),
        GIT_CONFIG_NOSYSTEM: '1',
        STORYFLOW_URL: server.baseUrl,
        STORYFLOW_TOKEN: token,
      },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(mismatches(result)).toEqual([]);
    expect(result.segments.filter((segment) => segment.expected !== undefined)).toHaveLength(3);
    const story = await fetch(`${server.baseUrl}/api/v1/stories/SHOP-1.md`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await story.text()).toContain('Saved cards come first.\n');
  });
});

describe('docs/security.md, docs/cli.md, docs/api.md and docs/webhooks.md, in order, on one server', () => {
  const processes: ServerProcess[] = [];
  let scratch: ReturnType<typeof scratchDir>;
  let server: ServerProcess;
  let token: string;
  let env: Record<string, string>;
  let replace: Record<string, string>;
  let ciDelivery: string;
  const walk = async (id: string, more: Record<string, string> = {}) => {
    const text = snippet(id);
    const used = Object.fromEntries(
      Object.entries({ ...replace, ...more }).filter(([placeholder]) => text.includes(placeholder)),
    );
    const result = await walkSnippets([{ text, replace: used }], { cwd: scratch.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(mismatches(result)).toEqual([]);
    return result;
  };

  beforeAll(async () => {
    scratch = scratchDir('docs-walk');
    workingCopy(scratch.dir);
    cpSync(join(REPO_ROOT, 'test/fixtures/stories'), join(scratch.dir, 'stories'), {
      recursive: true,
    });
    server = await startServerProcess(
      { name: 'fresh server', cwd: scratch.dir, port: await freePort(), env: {} },
      processes,
    );
    token = /It is shown only this once: (sfp_[A-Za-z0-9_-]+)/.exec(server.output())?.[1] ?? '';
    expect(token, server.output()).toMatch(/^sfp_/);
    env = {
      ...baseEnv(scratch.dir),
      PATH: `${storyflowOnPath(scratch.dir)}:${process.env.PATH}`,
      STORYFLOW_URL: server.baseUrl,
      STORYFLOW_TOKEN: token,
      // What Jenkins sets, for the curl lines of docs/webhooks.md.
      JOB_NAME: 'shop',
      BUILD_NUMBER: '1234',
      GIT_COMMIT: '9c1185a5c5e9fc54612808977ee8f548b2258d31',
      BUILD_URL: 'https://ci.example.com/builds/1234',
    };
    replace = {
      'localhost:8080': server.baseUrl.replace('http://', ''),
      'https://storyflow.example.com': server.baseUrl,
      'sfp_3Yc…': token,
    };
  });
  afterAll(async () => {
    await killAll(processes);
    scratch?.remove();
  });

  it('security-log: the first start logs the line the page shows', () => {
    const sample = snippet('security-log');
    const lines = server.output().split('\n');
    expect(
      lines.some((line) => matchesSample(line, sample)),
      server.output(),
    ).toBe(true);
  });

  it('cli-import, cli-export: the summaries the page shows', async () => {
    await walk('cli-import');
    await walk('cli-export');
  });

  it('security-tokens: create, list and revoke', async () => {
    const [before, revoke] = snippet('security-tokens').split(/(?=^storyflow token revoke)/m);
    const created = await walkSnippets(
      [{ text: before as string, replace: { 'sfp_3Yc…': token } }],
      {
        cwd: scratch.dir,
        env,
      },
    );
    expect(created.code, created.stderr).toBe(0);
    expect(mismatches(created)).toEqual([]);
    const printed = created.segments.map((segment) => segment.actual).join('');
    const id = /Created token (tok_\w+)/.exec(printed)?.[1] as string;
    const revoked = await walkSnippets([{ text: revoke as string, replace: { 'tok_5f2c…': id } }], {
      cwd: scratch.dir,
      env,
    });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(mismatches(revoked)).toEqual([]);
  });

  it('security-audit: the log verifies', async () => {
    await walk('security-audit');
  });

  it('api-import, api-import-error: the answers the page shows', async () => {
    await walk('api-import');
    await walk('api-import-error');
  });

  it('webhooks-ci-event, webhooks-deployment: the answers, and the replay header', async () => {
    const reported = await walk('webhooks-ci-event');
    ciDelivery = JSON.parse(reported.segments[0]?.actual ?? '{}').delivery;
    expect(ciDelivery).toMatch(/^dlv_/);
    await walk('webhooks-deployment');
  });

  it('webhooks-replay: listing and replaying deliveries', async () => {
    await walk('webhooks-replay', { 'dlv_4f1c…': ciDelivery });
  });

  it('story-document: the sample document imports and comes back byte for byte', async () => {
    const text = snippet('story-document');
    const headers = { authorization: `Bearer ${token}` };
    const imported = await fetch(`${server.baseUrl}/api/v1/stories/import`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'text/markdown' },
      body: text,
    });
    expect(imported.status, await imported.clone().text()).toBe(200);
    const exported = await fetch(`${server.baseUrl}/api/v1/stories/INT-003.md`, { headers });
    expect(await exported.text()).toBe(text);
  });
});
