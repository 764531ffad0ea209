// Runs a GitHub Actions workflow the way a runner would, close enough to test examples:
// validated and converted by GitHub's own parser (@actions/workflow-parser), `${{ }}` evaluated
// by GitHub's expression engine (@actions/expressions), jobs in `needs` order, `if:` with
// success()/failure()/always(), `run:` steps with bash in a workspace, `uses: <owner>/storyflow@<ref>`
// run as the action is run (node + INPUT_* + GITHUB_*; the action's own defaults from its
// action.yml), GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STEP_SUMMARY files, and the OIDC request
// variables only for jobs granted `id-token: write`. Other actions (actions/checkout) are not
// run; they are reported as not emulated.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import type { WorkflowTemplate } from '@actions/workflow-parser';
import { parse as parseYaml } from 'yaml';
import { actionsParser } from './actions-parser.js';
import type { CiIdentity } from './ci-identity.js';
import { baseEnv, failing, runProcess } from './ci-process.js';

type Json = Record<string, any>;

export interface LoadedWorkflow {
  file: string;
  template: WorkflowTemplate;
  /** The same file as plain YAML: `with:`, `env:`, `permissions:` (the template drops them). */
  raw: Json;
}

/** Parses and validates a workflow with GitHub's parser; throws listing every error. */
export async function loadWorkflow(file: string): Promise<LoadedWorkflow> {
  const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = (await actionsParser())
    .workflows;
  const content = readFileSync(file, 'utf8');
  const parsed = parseWorkflow({ name: basename(file), content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((error) => error.message);
  if (errors.length > 0 || parsed.value === undefined) {
    throw new Error(`${file} is not a valid workflow:\n${errors.join('\n')}`);
  }
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  if (template.errors !== undefined && template.errors.length > 0) {
    throw new Error(`${file}: ${template.errors.map((error) => error.Message).join('\n')}`);
  }
  return { file, template, raw: parseYaml(content) as Json };
}

/** Validates an action.yml with GitHub's action schema; answers the errors. */
export async function actionErrors(file: string): Promise<string[]> {
  const { actions, workflows } = await actionsParser();
  const parsed = actions.parseAction(
    { name: basename(file), content: readFileSync(file, 'utf8') },
    new workflows.NoOperationTraceWriter(),
  );
  return parsed.context.errors.getErrors().map((error) => error.message);
}

export interface GithubRunOptions {
  workflow: LoadedWorkflow;
  eventName: string;
  payload: Json;
  /** A directory holding action.yml and its files, as the runner downloads it. */
  actionPath: string;
  /** Which `uses:` are this action (default: any `<owner>/storyflow@<ref>`). */
  isThisAction?: (uses: string) => boolean;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  /** Mints the jobs' OIDC id tokens (only for jobs with `id-token: write`). */
  identity?: CiIdentity;
  /** A scratch directory for the workspace, event file and runner files. */
  workDir: string;
  runId?: string;
  /** `run:` scripts matching this fail (standing for the user's own build failing). */
  fail?: RegExp;
}

export interface StepRun {
  id: string;
  name: string;
  uses?: string;
  /** Skipped by `if:`, run, or (another action) not emulated. */
  outcome: 'success' | 'failure' | 'skipped' | 'not-emulated';
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** The INPUT_* variables an action step got. */
  inputs: Record<string, string>;
}

export interface JobRun {
  id: string;
  status: 'success' | 'failure' | 'skipped';
  steps: StepRun[];
  /** The job summary: every step's GITHUB_STEP_SUMMARY, in order. */
  summary: string;
  /** Whether the job could request an OIDC id token. */
  idToken: boolean;
}

export interface WorkflowRun {
  triggered: boolean;
  jobs: JobRun[];
  job(id: string): JobRun;
}

export async function runGithubWorkflow(options: GithubRunOptions): Promise<WorkflowRun> {
  const { workflow, payload, eventName } = options;
  const jobs: JobRun[] = [];
  const run: WorkflowRun = {
    triggered: triggers(workflow.template, eventName, payload),
    jobs,
    job(id) {
      const found = jobs.find((job) => job.id === id);
      if (found === undefined) throw new Error(`no job ${id}`);
      return found;
    },
  };
  if (!run.triggered) return run;

  const action = await readAction(options.actionPath);
  const isThisAction = options.isThisAction ?? ((uses) => /^[^/]+\/storyflow@.+$/.test(uses));
  const home = join(options.workDir, 'home');
  const workspace = join(options.workDir, 'workspace');
  const runnerTemp = join(options.workDir, 'runner-temp');
  for (const dir of [home, workspace, runnerTemp]) mkdirSync(dir, { recursive: true });
  const eventPath = join(runnerTemp, 'event.json');
  writeFileSync(eventPath, JSON.stringify(payload, null, 2));

  const github = githubContext(options, eventPath, workspace);
  const workflowEnv = stringMap(options.workflow.raw.env);
  const needs: Json = {};
  for (const job of orderJobs(workflow.template)) {
    if (job.type !== 'job') throw new Error(`reusable workflow jobs are not emulated (${job.id})`);
    const jobId = job.id.value;
    const rawJob = workflow.raw.jobs[jobId] as Json;
    const needed = (job.needs ?? []).map((need) => need.value);
    const jobContexts = {
      github: { ...github, job: jobId },
      vars: options.vars ?? {},
      secrets: options.secrets ?? {},
      needs: Object.fromEntries(needed.map((id) => [id, needs[id]])),
      inputs: {},
    };
    const neededOk = needed.every((id) => needs[id]?.result === 'success');
    if (!truthy(evaluate(job.if.expression, jobContexts, neededOk ? 'success' : 'failure'))) {
      jobs.push({ id: jobId, status: 'skipped', steps: [], summary: '', idToken: false });
      needs[jobId] = { result: 'skipped', outputs: {} };
      continue;
    }
    const permissions = rawJob.permissions ?? workflow.raw.permissions;
    const idToken =
      permissions === 'write-all' ||
      (typeof permissions === 'object' && permissions?.['id-token'] === 'write');
    const environment =
      typeof rawJob.environment === 'string' ? rawJob.environment : rawJob.environment?.name;
    let env: Record<string, string> = {
      ...workflowEnv,
      ...interpolateMap(stringMap(rawJob.env), { ...jobContexts, env: workflowEnv }),
    };
    const jobRun: JobRun = { id: jobId, status: 'success', steps: [], summary: '', idToken };
    jobs.push(jobRun);
    const stepsContext: Json = {};
    const path: string[] = [];

    for (const [index, step] of job.steps.entries()) {
      const rawStep = rawJob.steps[index] as Json;
      const stepId = step.id;
      const name = String(rawStep.name ?? rawStep.uses ?? rawStep.run ?? stepId);
      const contexts = {
        ...jobContexts,
        env,
        steps: stepsContext,
        job: { status: jobRun.status },
        runner: { os: 'Linux', arch: 'X64', temp: runnerTemp, environment: 'github-hosted' },
        matrix: {},
        strategy: {},
      };
      const stepRun: StepRun = {
        id: stepId,
        name,
        ...('uses' in step ? { uses: step.uses.value } : {}),
        outcome: 'skipped',
        code: null,
        stdout: '',
        stderr: '',
        outputs: {},
        summary: '',
        inputs: {},
      };
      jobRun.steps.push(stepRun);
      const condition = 'if' in step && step.if !== undefined ? step.if.expression : 'success()';
      if (!truthy(evaluate(condition, contexts, jobRun.status))) {
        stepsContext[stepId] = { outcome: 'skipped', conclusion: 'skipped', outputs: {} };
        continue;
      }
      const files = {
        GITHUB_OUTPUT: join(runnerTemp, `${stepId}.output`),
        GITHUB_ENV: join(runnerTemp, `${stepId}.env`),
        GITHUB_PATH: join(runnerTemp, `${stepId}.path`),
        GITHUB_STEP_SUMMARY: join(runnerTemp, `${stepId}.summary`),
      };
      for (const file of Object.values(files)) writeFileSync(file, '');
      const stepEnv: Record<string, string> = {
        ...baseEnv(home),
        ...runnerEnv(github, runnerTemp, workspace),
        GITHUB_JOB: jobId,
        GITHUB_ACTION: stepId,
        ...files,
        ...env,
        ...interpolateMap(stringMap(rawStep.env), contexts),
      };
      if (path.length > 0) stepEnv.PATH = `${path.join(':')}:${stepEnv.PATH}`;
      if (idToken && options.identity !== undefined) {
        const request = options.identity.githubJob(idTokenClaims(github, jobId, environment));
        stepEnv.ACTIONS_ID_TOKEN_REQUEST_URL = request.url;
        stepEnv.ACTIONS_ID_TOKEN_REQUEST_TOKEN = request.token;
      }

      let result: { code: number | null; stdout: string; stderr: string };
      if ('run' in step) {
        const script = failing(interpolate(String(rawStep.run), contexts), options.fail);
        const scriptFile = join(runnerTemp, `${stepId}.sh`);
        writeFileSync(scriptFile, script);
        result = await runProcess(
          'bash',
          ['--noprofile', '--norc', '-eo', 'pipefail', scriptFile],
          {
            cwd: workspace,
            env: stepEnv,
          },
        );
      } else if ('uses' in step && isThisAction(step.uses.value)) {
        const inputs = actionInputs(action, stringMap(rawStep.with), contexts, step.uses.value);
        stepRun.inputs = inputs;
        const [repository, ref] = step.uses.value.split('@') as [string, string];
        result = await runProcess(process.execPath, [join(options.actionPath, action.main)], {
          cwd: workspace,
          env: {
            ...stepEnv,
            ...inputs,
            GITHUB_ACTION_PATH: options.actionPath,
            GITHUB_ACTION_REPOSITORY: repository,
            GITHUB_ACTION_REF: ref,
          },
        });
      } else {
        stepRun.outcome = 'not-emulated';
        stepsContext[stepId] = { outcome: 'success', conclusion: 'success', outputs: {} };
        continue;
      }
      stepRun.code = result.code;
      stepRun.stdout = result.stdout;
      stepRun.stderr = result.stderr;
      stepRun.outputs = readKeyValueFile(files.GITHUB_OUTPUT);
      stepRun.summary = readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8');
      jobRun.summary += stepRun.summary;
      env = { ...env, ...readKeyValueFile(files.GITHUB_ENV) };
      path.unshift(...readFileSync(files.GITHUB_PATH, 'utf8').split('\n').filter(Boolean));
      const outcome = result.code === 0 ? 'success' : 'failure';
      const continueOnError = truthy(
        evaluate(String(rawStep['continue-on-error'] ?? false), contexts, jobRun.status),
      );
      stepRun.outcome = outcome;
      stepsContext[stepId] = {
        outcome,
        conclusion: outcome === 'failure' && continueOnError ? 'success' : outcome,
        outputs: stepRun.outputs,
      };
      if (outcome === 'failure' && !continueOnError) jobRun.status = 'failure';
    }
    needs[jobId] = { result: jobRun.status, outputs: {} };
  }
  return run;
}

/** Whether the workflow's `on:` runs for this event (types, branches, tags). */
export function triggers(template: WorkflowTemplate, eventName: string, payload: Json): boolean {
  const config = template.events[eventName] as Json | undefined;
  if (config === undefined) return false;
  if (eventName === 'pull_request' || eventName === 'pull_request_target') {
    const types: string[] = config.types ?? ['opened', 'synchronize', 'reopened'];
    if (!types.includes(payload.action)) return false;
    return branchFilter(config, String(payload.pull_request?.base?.ref ?? ''));
  }
  if (eventName === 'push') {
    const ref = String(payload.ref ?? '');
    if (ref.startsWith('refs/tags/')) {
      if (config.tags === undefined && config['tags-ignore'] === undefined)
        return config.branches === undefined && config['branches-ignore'] === undefined;
      return refFilter(config.tags, config['tags-ignore'], ref.slice('refs/tags/'.length));
    }
    if (config.branches === undefined && config['branches-ignore'] === undefined)
      return config.tags === undefined && config['tags-ignore'] === undefined;
    return branchFilter(config, ref.replace(/^refs\/heads\//, ''));
  }
  const types: string[] | undefined = config.types;
  return types === undefined || types.includes(payload.action);
}

function branchFilter(config: Json, branch: string): boolean {
  return refFilter(config.branches, config['branches-ignore'], branch);
}

function refFilter(
  include: string[] | undefined,
  exclude: string[] | undefined,
  name: string,
): boolean {
  if (include !== undefined) {
    let matched = false;
    for (const pattern of include) {
      if (pattern.startsWith('!')) {
        if (globMatch(pattern.slice(1), name)) matched = false;
      } else if (globMatch(pattern, name)) matched = true;
    }
    return matched;
  }
  if (exclude !== undefined) return !exclude.some((pattern) => globMatch(pattern, name));
  return true;
}

/** GitHub's filter patterns: `*` within a path segment, `**` across them, `?` one character. */
function globMatch(pattern: string, name: string): boolean {
  const source = pattern
    .split(/(\*\*|\*|\?)/)
    .map((part) => {
      if (part === '**') return '.*';
      if (part === '*') return '[^/]*';
      if (part === '?') return '[^/]';
      return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`).test(name);
}

function orderJobs(template: WorkflowTemplate) {
  const ordered: WorkflowTemplate['jobs'] = [];
  const done = new Set<string>();
  const remaining = [...template.jobs];
  while (remaining.length > 0) {
    const index = remaining.findIndex((job) =>
      (job.needs ?? []).every((need) => done.has(need.value)),
    );
    if (index === -1) throw new Error('jobs need each other in a cycle');
    const [job] = remaining.splice(index, 1);
    if (job === undefined) break;
    ordered.push(job);
    done.add(job.id.value);
  }
  return ordered;
}

interface ActionDefinition {
  main: string;
  inputs: Record<string, { default?: string }>;
}

async function readAction(actionPath: string): Promise<ActionDefinition> {
  const file = join(actionPath, 'action.yml');
  const errors = await actionErrors(file);
  if (errors.length > 0) throw new Error(`${file} is not a valid action:\n${errors.join('\n')}`);
  const raw = parseYaml(readFileSync(file, 'utf8')) as Json;
  if (!/^node\d+$/.test(raw.runs?.using)) throw new Error(`${file}: runs.using is not node`);
  return { main: raw.runs.main, inputs: raw.inputs ?? {} };
}

/** INPUT_* as the runner sets them: every declared input, from `with:` or its default. */
function actionInputs(
  action: ActionDefinition,
  given: Record<string, string>,
  contexts: Json,
  uses: string,
): Record<string, string> {
  const unknown = Object.keys(given).filter((name) => !(name in action.inputs));
  if (unknown.length > 0) throw new Error(`${uses}: unexpected input(s) ${unknown.join(', ')}`);
  const inputs: Record<string, string> = {};
  for (const [name, definition] of Object.entries(action.inputs)) {
    const value = name in given ? given[name] : String(definition?.default ?? '');
    inputs[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = interpolate(value ?? '', contexts);
  }
  return inputs;
}

function githubContext(options: GithubRunOptions, eventPath: string, workspace: string): Json {
  const { payload, eventName } = options;
  const repository = String(payload.repository?.full_name);
  const pr = payload.pull_request;
  const isPr = eventName.startsWith('pull_request') && pr !== undefined;
  // As GitHub documents GITHUB_REF and GITHUB_SHA: a pull_request run has the PR's merge ref
  // and merge commit, except for a PR closed by merging, whose run has the base branch and the
  // commit that landed (changelog 2023-09-13); pull_request_target always runs on the base.
  const onBase =
    isPr &&
    (eventName === 'pull_request_target' || (payload.action === 'closed' && pr.merged === true));
  const ref = !isPr
    ? String(payload.ref ?? '')
    : onBase
      ? `refs/heads/${pr.base.ref}`
      : `refs/pull/${pr.number}/merge`;
  const sha = !isPr
    ? String(payload.after ?? payload.head_commit?.id ?? '')
    : eventName === 'pull_request_target'
      ? String(pr.base.sha)
      : String(pr.merged ? pr.merge_commit_sha : (pr.merge_commit_sha ?? pr.head.sha));
  return {
    event: payload,
    event_name: eventName,
    event_path: eventPath,
    workflow: String(options.workflow.raw.name ?? basename(options.workflow.file)),
    workflow_ref: `${repository}/.github/workflows/${basename(options.workflow.file)}@${ref}`,
    repository,
    repository_id: String(payload.repository?.id ?? ''),
    repository_owner: String(payload.repository?.owner?.login ?? repository.split('/')[0]),
    repository_owner_id: String(payload.repository?.owner?.id ?? ''),
    ref,
    ref_name: ref.replace(/^refs\/(heads|tags)\//, '').replace(/^refs\/pull\//, ''),
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    sha,
    head_ref: isPr ? String(pr.head.ref) : '',
    base_ref: isPr ? String(pr.base.ref) : '',
    actor: String(payload.sender?.login ?? 'octocat'),
    actor_id: String(payload.sender?.id ?? '1'),
    triggering_actor: String(payload.sender?.login ?? 'octocat'),
    run_id: options.runId ?? '4242424242',
    run_number: '7',
    run_attempt: '1',
    server_url: 'https://github.com',
    api_url: 'https://api.github.com',
    graphql_url: 'https://api.github.com/graphql',
    workspace,
    token: '***',
  };
}

/** The default variables of a GitHub-hosted runner. */
function runnerEnv(github: Json, runnerTemp: string, workspace: string): Record<string, string> {
  return {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: github.event_name,
    GITHUB_EVENT_PATH: github.event_path,
    GITHUB_WORKFLOW: github.workflow,
    GITHUB_WORKFLOW_REF: github.workflow_ref,
    GITHUB_REPOSITORY: github.repository,
    GITHUB_REPOSITORY_ID: github.repository_id,
    GITHUB_REPOSITORY_OWNER: github.repository_owner,
    GITHUB_REPOSITORY_OWNER_ID: github.repository_owner_id,
    GITHUB_REF: github.ref,
    GITHUB_REF_NAME: github.ref_name,
    GITHUB_REF_TYPE: github.ref_type,
    GITHUB_SHA: github.sha,
    GITHUB_HEAD_REF: github.head_ref,
    GITHUB_BASE_REF: github.base_ref,
    GITHUB_ACTOR: github.actor,
    GITHUB_ACTOR_ID: github.actor_id,
    GITHUB_TRIGGERING_ACTOR: github.triggering_actor,
    GITHUB_RUN_ID: github.run_id,
    GITHUB_RUN_NUMBER: github.run_number,
    GITHUB_RUN_ATTEMPT: github.run_attempt,
    GITHUB_SERVER_URL: github.server_url,
    GITHUB_API_URL: github.api_url,
    GITHUB_GRAPHQL_URL: github.graphql_url,
    GITHUB_WORKSPACE: workspace,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'GitHub Actions 2',
    RUNNER_ENVIRONMENT: 'github-hosted',
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: join(runnerTemp, 'tool-cache'),
  };
}

/** The claims GitHub puts in a job's id token (the audience is the request's). */
function idTokenClaims(github: Json, jobId: string, environment: string | undefined): Json {
  const subject =
    environment !== undefined
      ? `repo:${github.repository}:environment:${environment}`
      : github.event_name.startsWith('pull_request')
        ? `repo:${github.repository}:pull_request`
        : `repo:${github.repository}:ref:${github.ref}`;
  return {
    sub: subject,
    repository: github.repository,
    repository_id: github.repository_id,
    repository_owner: github.repository_owner,
    repository_owner_id: github.repository_owner_id,
    repository_visibility: 'private',
    ref: github.ref,
    ref_type: github.ref_type,
    sha: github.sha,
    actor: github.actor,
    actor_id: github.actor_id,
    workflow: github.workflow,
    workflow_ref: github.workflow_ref,
    job_workflow_ref: github.workflow_ref,
    event_name: github.event_name,
    run_id: github.run_id,
    run_number: github.run_number,
    run_attempt: github.run_attempt,
    head_ref: github.head_ref,
    base_ref: github.base_ref,
    runner_environment: 'github-hosted',
    ...(environment === undefined ? {} : { environment }),
    job: jobId,
  };
}

const STATUS_FUNCTIONS = ['success', 'failure', 'always', 'cancelled'];

/** Evaluates one expression (without `${{ }}`) with GitHub's expression engine. */
export function evaluate(
  expression: string,
  contexts: Json,
  jobStatus: 'success' | 'failure' | 'skipped',
): data.ExpressionData {
  const lexed = new Lexer(expression).lex();
  const functions = STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 }));
  const tree = new Parser(lexed.tokens, Object.keys(contexts), functions).parse();
  const implementations = new Map(
    functions.map((info) => [
      info.name,
      {
        ...info,
        call: () =>
          new data.BooleanData(
            info.name === 'always' ||
              (info.name === 'success' && jobStatus === 'success') ||
              (info.name === 'failure' && jobStatus === 'failure'),
          ),
      },
    ]),
  );
  const context = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
  return new Evaluator(tree, context, implementations).evaluate();
}

function truthy(value: data.ExpressionData): boolean {
  switch (value.kind) {
    case data.Kind.Boolean:
      return (value as data.BooleanData).value;
    case data.Kind.Null:
      return false;
    case data.Kind.Number: {
      const number = (value as data.NumberData).value;
      return number !== 0 && !Number.isNaN(number);
    }
    case data.Kind.String:
      return (value as data.StringData).value !== '';
    default:
      return true;
  }
}

/** Replaces every `${{ expression }}` in a string, as the runner does in `with:`, `env:`, `run:`. */
export function interpolate(text: string, contexts: Json): string {
  return text.replace(/\$\{\{(.*?)\}\}/gs, (_match, expression: string) =>
    evaluate(expression.trim(), contexts, 'success').coerceString(),
  );
}

function interpolateMap(values: Record<string, string>, contexts: Json): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, interpolate(value, contexts)]),
  );
}

function stringMap(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  return Object.fromEntries(
    Object.entries(value as Json).map(([key, item]) => [key, String(item)]),
  );
}

/** GITHUB_OUTPUT / GITHUB_ENV: `name=value` lines and `name<<DELIMITER` blocks. */
export function readKeyValueFile(file: string): Record<string, string> {
  const lines = readFileSync(file, 'utf8').split('\n');
  const values: Record<string, string> = {};
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc !== null) {
      const body: string[] = [];
      index++;
      while (index < lines.length && lines[index] !== heredoc[2]) body.push(lines[index++] ?? '');
      values[heredoc[1] as string] = body.join('\n');
      continue;
    }
    const equals = line.indexOf('=');
    if (equals === -1) throw new Error(`${file}: bad line ${JSON.stringify(line)}`);
    values[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return values;
}
