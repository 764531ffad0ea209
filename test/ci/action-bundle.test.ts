// The action runs without a build step on the runner: action/index.cjs is committed. It must
// be what `npm run build:action` makes from the sources today, need nothing but Node's own
// modules, and behave as `storyflow ci` both as the action (INPUT_*) and as a command line.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT, REPOSITORY, scratchDir, stageAction } from '../support/ci-examples.js';
import { type CiHarness, startCiHarness } from '../support/ci-harness.js';
import { baseEnv, runProcess } from '../support/ci-process.js';

const BUNDLE = join(REPO_ROOT, 'action/index.cjs');

describe('action/index.cjs', () => {
  let scratch: ReturnType<typeof scratchDir>;
  let staged: string;
  beforeAll(() => {
    scratch = scratchDir('bundle');
    staged = join(stageAction(scratch.dir), 'action/index.cjs');
  });
  afterAll(() => scratch?.remove());

  it('is up to date: the build:action script, run now, makes the same bytes', async () => {
    const script: string = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'))
      .scripts['build:action'];
    const [command, ...args] = script.split(/\s+/);
    expect(command).toBe('esbuild');
    expect(args).toContain('--outfile=action/index.cjs');
    const outfile = join(scratch.dir, 'index.cjs');
    const built = await runProcess(
      join(REPO_ROOT, 'node_modules/.bin/esbuild'),
      args.map((arg) => (arg === '--outfile=action/index.cjs' ? `--outfile=${outfile}` : arg)),
      { cwd: REPO_ROOT, env: baseEnv(scratch.dir) },
    );
    expect(built.code, built.stderr).toBe(0);
    const fresh = readFileSync(outfile, 'utf8');
    expect(
      fresh === readFileSync(BUNDLE, 'utf8'),
      'action/index.cjs is stale: run `npm run build:action` and commit it',
    ).toBe(true);
    expect(fresh.startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('requires nothing but Node built-ins', () => {
    const required = [
      ...readFileSync(BUNDLE, 'utf8').matchAll(/\brequire\(["']([^"']+)["']\)/g),
    ].map((match) => match[1] as string);
    const foreign = required.filter(
      (name) => !builtinModules.includes(name.replace(/^node:/, '')) && !name.startsWith('node:'),
    );
    expect(foreign).toEqual([]);
  });

  it('runs from a directory without node_modules, as a command line too', async () => {
    const env = baseEnv(scratch.dir);
    const version = await runProcess(process.execPath, [staged, '--version'], {
      cwd: scratch.dir,
      env,
    });
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const help = await runProcess(process.execPath, [staged, 'ci', '--help'], {
      cwd: scratch.dir,
      env,
    });
    expect(help.code).toBe(0);
    for (const command of ['event', 'deploy', 'status', 'link'])
      expect(help.stdout).toContain(command);
    const usage = await runProcess(
      process.execPath,
      [staged, 'ci', 'deploy', '--status', 'success'],
      {
        cwd: scratch.dir,
        env,
      },
    );
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("required option '--environment <name>' not specified");
    const noRepository = await runProcess(
      process.execPath,
      [staged, 'ci', 'event', '--attempts', '1'],
      {
        cwd: scratch.dir,
        env,
      },
    );
    expect(noRepository).toMatchObject({
      code: 2,
      stderr: 'storyflow: the repository is unknown: pass --repository owner/name\n',
    });
    const badAttempts = await runProcess(
      process.execPath,
      [staged, 'ci', 'event', '--repository', 'a/b', '--attempts', '0'],
      { cwd: scratch.dir, env },
    );
    expect(badAttempts).toMatchObject({
      code: 2,
      stderr: 'storyflow: --attempts must be a whole number ≥ 1, got "0"\n',
    });
  });

  it('action.yml declares exactly the inputs the action reads and the outputs it writes', () => {
    const action = parseYaml(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8'));
    expect(action.runs).toEqual({ using: 'node24', main: 'action/index.cjs' });
    expect(Object.keys(action.inputs).sort()).toEqual(
      ['args', 'command', 'dry-run', 'fail-on-error', 'oidc-audience', 'token', 'url'].sort(),
    );
    expect(Object.keys(action.outputs).sort()).toEqual(['delivery', 'operations', 'stories']);
  });

  it('turns inputs into `storyflow ci` arguments (quoted args split like a shell)', async () => {
    process.env.STORYFLOW_ACTION_NO_RUN = '1';
    const { actionArguments } = await import('../../src/action/main.js');
    expect(
      actionArguments({
        INPUT_URL: 'https://storyflow.example.com',
        INPUT_TOKEN: '',
        'INPUT_OIDC-AUDIENCE': 'storyflow',
        INPUT_COMMAND: 'deploy',
        INPUT_ARGS: `--environment "prod eu" --story INT-003 --environment-url 'https://x.example.com/a b'`,
        'INPUT_FAIL-ON-ERROR': 'true',
        'INPUT_DRY-RUN': 'false',
      }),
    ).toEqual([
      'ci',
      'deploy',
      '--environment',
      'prod eu',
      '--story',
      'INT-003',
      '--environment-url',
      'https://x.example.com/a b',
      '--url',
      'https://storyflow.example.com',
      '--oidc-audience',
      'storyflow',
      '--fail-on-error',
    ]);
  });
});

describe('dry-run input', () => {
  let harness: CiHarness;
  let scratch: ReturnType<typeof scratchDir>;
  beforeAll(async () => {
    harness = await startCiHarness();
    scratch = scratchDir('dry-run');
  });
  afterAll(async () => {
    await harness?.close();
    scratch?.remove();
  });

  it('prints the request and what storyflow would do, and changes nothing', async () => {
    const token = await harness.createToken('dry', ['ci:events', 'stories:read'], [REPOSITORY]);
    const result = await runProcess(process.execPath, [BUNDLE], {
      cwd: scratch.dir,
      env: {
        ...baseEnv(scratch.dir),
        GITHUB_ACTIONS: 'true',
        GITHUB_EVENT_NAME: 'push',
        GITHUB_REPOSITORY: REPOSITORY,
        GITHUB_REF: 'refs/heads/int-003-cicd-integration-endpoints',
        GITHUB_SHA: 'e'.repeat(40),
        GITHUB_RUN_ID: '55',
        INPUT_URL: harness.server.url,
        INPUT_TOKEN: token,
        INPUT_COMMAND: 'event',
        'INPUT_DRY-RUN': 'true',
      },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^storyflow \\(dry run\\): POST ${harness.server.url}/api/v1/ci/events\nIdempotency-Key: storyflow-ci-[0-9a-f]{40}\n`,
      ),
    );
    expect(result.stdout).toContain('"kind": "push"');
    expect(result.stdout).toMatch(
      /storyflow \(dry run\) would: INT-003 status: draft → in_progress\n$/,
    );
    expect((await harness.story('INT-003')).status).toBe('draft');
    expect(await harness.operations()).toEqual([]);
  });
});
