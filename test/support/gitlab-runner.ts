// Runs a .gitlab-ci.yml the way GitLab and a runner would, close enough to test examples:
// workflow:rules decide whether a pipeline is created, jobs (with `extends`) run stage by stage
// with rules/when (on_success, on_failure, always), before_script and script in one bash
// (`set -eo pipefail`, as the runner does), after_script in another with CI_JOB_STATUS,
// variables by GitLab's precedence, CI_ENVIRONMENT_* from `environment:`, and `id_tokens`
// signed like GitLab's. Keywords it does not know fail the run rather than being ignored.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type CiIdentity, GITLAB_ISSUER } from './ci-identity.js';
import { baseEnv, failing, runProcess } from './ci-process.js';

type Json = Record<string, any>;

const TOP_LEVEL = new Set(['stages', 'variables', 'workflow', 'default', 'image']);
const JOB_KEYS = new Set([
  'extends',
  'stage',
  'image',
  'id_tokens',
  'before_script',
  'script',
  'after_script',
  'variables',
  'rules',
  'when',
  'environment',
  'allow_failure',
]);

export interface GitlabRunOptions {
  file: string;
  /** GitLab's predefined variables for this pipeline (see gitlabVariables). */
  predefined: Record<string, string>;
  /** Project or pipeline CI/CD variables: they win over the file's `variables:`. */
  projectVariables?: Record<string, string>;
  identity?: CiIdentity;
  /** Branches that are protected (for the id token's ref_protected claim). */
  protectedBranches?: string[];
  /** Tags that are protected (for a tag pipeline's ref_protected claim); default none. */
  protectedTags?: string[];
  workDir: string;
  /** Script lines matching this fail (standing for the user's own command failing). */
  fail?: RegExp;
}

export interface GitlabJobRun {
  name: string;
  stage: string;
  status: 'success' | 'failed' | 'skipped';
  code: number | null;
  output: string;
  afterScriptOutput: string;
}

export interface GitlabPipelineRun {
  created: boolean;
  status: 'success' | 'failed';
  jobs: GitlabJobRun[];
  job(name: string): GitlabJobRun;
}

export async function runGitlabPipeline(options: GitlabRunOptions): Promise<GitlabPipelineRun> {
  const config = parseYaml(readFileSync(options.file, 'utf8')) as Json;
  const globalVariables = expandAll(stringMap(config.variables), options.predefined);
  const jobs: GitlabJobRun[] = [];
  const run: GitlabPipelineRun = {
    created: false,
    status: 'success',
    jobs,
    job(name) {
      const found = jobs.find((job) => job.name === name);
      if (found === undefined) throw new Error(`no job "${name}" in this pipeline`);
      return found;
    },
  };
  const pipelineVariables = {
    ...options.predefined,
    ...globalVariables,
    ...options.projectVariables,
  };
  const workflowRule = matchRules(config.workflow?.rules, pipelineVariables);
  run.created =
    config.workflow?.rules === undefined ||
    (workflowRule !== undefined && workflowRule.when !== 'never');
  if (!run.created) return run;

  const names = Object.keys(config).filter((key) => !TOP_LEVEL.has(key) && !key.startsWith('.'));
  for (const key of Object.keys(config)) {
    if (!TOP_LEVEL.has(key) && (typeof config[key] !== 'object' || config[key] === null))
      throw new Error(`${options.file}: unknown top-level keyword "${key}"`);
  }
  const stages: string[] = config.stages ?? ['build', 'test', 'deploy'];
  let failed = false;
  let jobId = 1000;
  for (const stage of stages) {
    const stageFailures: boolean[] = [];
    for (const name of names) {
      const job = resolveJob(config, name);
      if ((job.stage ?? 'test') !== stage) continue;
      for (const key of Object.keys(job)) {
        if (!JOB_KEYS.has(key)) throw new Error(`job "${name}": keyword "${key}" is not emulated`);
      }
      const jobVariables = expandAll(stringMap(job.variables), pipelineVariables);
      let when: string = job.when ?? 'on_success';
      if (job.rules !== undefined) {
        const rule = matchRules(job.rules, { ...pipelineVariables, ...jobVariables });
        if (rule === undefined || rule.when === 'never') continue; // not in this pipeline
        when = rule.when ?? 'on_success';
      }
      const runs =
        when === 'always' ||
        (when === 'on_success' && !failed) ||
        (when === 'on_failure' && failed);
      if (!runs) {
        jobs.push({
          name,
          stage,
          status: 'skipped',
          code: null,
          output: '',
          afterScriptOutput: '',
        });
        continue;
      }
      jobId += 1;
      const result = await runJob(options, name, job, jobId, {
        ...options.predefined,
        ...globalVariables,
        ...jobVariables,
        ...options.projectVariables,
      });
      jobs.push(result);
      stageFailures.push(result.status === 'failed' && job.allow_failure !== true);
    }
    if (stageFailures.some(Boolean)) failed = true;
  }
  run.status = failed ? 'failed' : 'success';
  return run;
}

async function runJob(
  options: GitlabRunOptions,
  name: string,
  job: Json,
  jobId: number,
  variables: Record<string, string>,
): Promise<GitlabJobRun> {
  const projectDir = join(options.workDir, `job-${jobId}`, 'project');
  const home = join(options.workDir, `job-${jobId}`, 'home');
  mkdirSync(projectDir, { recursive: true });
  mkdirSync(home, { recursive: true });
  const env: Record<string, string> = {
    ...baseEnv(home),
    ...variables,
    CI_JOB_NAME: name,
    CI_JOB_STAGE: String(job.stage),
    CI_JOB_ID: String(jobId),
    CI_JOB_URL: `${variables.CI_PROJECT_URL}/-/jobs/${jobId}`,
    CI_PROJECT_DIR: projectDir,
    CI_BUILDS_DIR: join(options.workDir, `job-${jobId}`),
  };
  if (job.environment !== undefined) {
    const environment =
      typeof job.environment === 'string' ? { name: job.environment } : job.environment;
    env.CI_ENVIRONMENT_NAME = expand(String(environment.name), env);
    env.CI_ENVIRONMENT_SLUG = env.CI_ENVIRONMENT_NAME.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    env.CI_ENVIRONMENT_TIER = env.CI_ENVIRONMENT_NAME === 'production' ? 'production' : 'other';
    if (environment.url !== undefined)
      env.CI_ENVIRONMENT_URL = expand(String(environment.url), env);
  }
  for (const [variable, definition] of Object.entries((job.id_tokens ?? {}) as Json)) {
    if (options.identity === undefined) throw new Error(`job "${name}" needs an id token issuer`);
    env[variable] = await options.identity.sign(gitlabIdTokenClaims(env, definition.aud, options));
  }
  const lines = [...asLines(job.before_script), ...asLines(job.script)].map((line) =>
    failing(line, options.fail),
  );
  const scriptFile = join(projectDir, '..', 'script.sh');
  writeFileSync(scriptFile, `set -eo pipefail\n${lines.join('\n')}\n`);
  const result = await runProcess('bash', ['--noprofile', '--norc', scriptFile], {
    cwd: projectDir,
    env,
  });
  const status = result.code === 0 ? 'success' : 'failed';
  let afterScriptOutput = '';
  if (job.after_script !== undefined) {
    const afterFile = join(projectDir, '..', 'after-script.sh');
    writeFileSync(afterFile, `${asLines(job.after_script).join('\n')}\n`);
    const after = await runProcess('bash', ['--noprofile', '--norc', afterFile], {
      cwd: projectDir,
      env: { ...env, CI_JOB_STATUS: status },
    });
    afterScriptOutput = after.stdout + after.stderr;
  }
  return {
    name,
    stage: String(job.stage),
    status,
    code: result.code,
    output: result.stdout + result.stderr,
    afterScriptOutput,
  };
}

/** A job with its `extends` chain merged in (hashes deeply, everything else replaced). */
function resolveJob(config: Json, name: string, seen: string[] = []): Json {
  const job = config[name] as Json | undefined;
  if (job === undefined) throw new Error(`extends: no job or template "${name}"`);
  if (seen.includes(name)) throw new Error(`extends: cycle through "${name}"`);
  const parents = job.extends === undefined ? [] : [job.extends].flat();
  let merged: Json = {};
  for (const parent of parents)
    merged = deepMerge(merged, resolveJob(config, parent, [...seen, name]));
  const { extends: _extends, ...own } = job;
  return deepMerge(merged, own);
}

function deepMerge(base: Json, override: Json): Json {
  const result: Json = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = result[key];
    result[key] =
      isHash(current) && isHash(value) ? deepMerge(current as Json, value as Json) : value;
  }
  return result;
}

function isHash(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function matchRules(
  rules: Json[] | undefined,
  variables: Record<string, string>,
): Json | undefined {
  if (rules === undefined) return undefined;
  for (const rule of rules) {
    for (const key of Object.keys(rule)) {
      if (key !== 'if' && key !== 'when') throw new Error(`rules: "${key}" is not emulated`);
    }
    if (rule.if === undefined || evaluateRule(String(rule.if), variables)) return rule;
  }
  return undefined;
}

/**
 * GitLab's `rules:if` expressions: `$VAR`, "strings", null, ==, !=, =~ /regex/, !~, &&, ||
 * and parentheses. An undefined variable is null; a variable alone is true when non-empty.
 */
export function evaluateRule(expression: string, variables: Record<string, string>): boolean {
  const tokens =
    expression.match(
      /\$\{?\w+\}?|"[^"]*"|'[^']*'|\/(?:[^/\\]|\\.)*\/[a-z]*|==|!=|=~|!~|&&|\|\||\(|\)|null/g,
    ) ?? [];
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];
  const value = (token: string | undefined): string | null => {
    if (token === undefined) throw new Error(`rules:if ${expression}: unexpected end`);
    if (token.startsWith('$')) return variables[token.replace(/^\$\{?|\}$/g, '')] ?? null;
    if (token === 'null') return null;
    if (/^["']/.test(token)) return token.slice(1, -1);
    throw new Error(`rules:if ${expression}: unexpected ${token}`);
  };
  const comparison = (): boolean => {
    if (peek() === '(') {
      next();
      const inner = or();
      if (next() !== ')') throw new Error(`rules:if ${expression}: missing )`);
      return inner;
    }
    const left = value(next());
    const operator = peek();
    if (operator === '==' || operator === '!=') {
      next();
      const equal = left === value(next());
      return operator === '==' ? equal : !equal;
    }
    if (operator === '=~' || operator === '!~') {
      next();
      const pattern = /^\/(.*)\/([a-z]*)$/.exec(next() ?? '');
      if (pattern === null) throw new Error(`rules:if ${expression}: bad regex`);
      const matches = left !== null && new RegExp(pattern[1] ?? '', pattern[2]).test(left);
      return operator === '=~' ? matches : !matches;
    }
    return left !== null && left !== '';
  };
  const and = (): boolean => {
    let result = comparison();
    while (peek() === '&&') {
      next();
      result = comparison() && result;
    }
    return result;
  };
  const or = (): boolean => {
    let result = and();
    while (peek() === '||') {
      next();
      result = and() || result;
    }
    return result;
  };
  const result = or();
  if (position !== tokens.length) throw new Error(`rules:if ${expression}: trailing tokens`);
  return result;
}

/** `$VAR` and `${VAR}` in a variable's value, as GitLab expands them. */
function expand(value: string, variables: Record<string, string>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (match, braced, plain) => {
    const found = variables[braced ?? plain];
    return found ?? match;
  });
}

function expandAll(
  values: Record<string, string>,
  variables: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, expand(value, variables)]),
  );
}

function stringMap(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  return Object.fromEntries(
    Object.entries(value as Json).map(([key, item]) => [
      key,
      String(isHash(item) ? (item as Json).value : item),
    ]),
  );
}

function asLines(value: unknown): string[] {
  if (value === undefined) return [];
  return [value].flat(Number.POSITIVE_INFINITY).map(String);
}

/** The claims GitLab puts in an `id_tokens` entry. */
export function gitlabIdTokenClaims(
  env: Record<string, string>,
  audience: unknown,
  options: Pick<GitlabRunOptions, 'protectedBranches' | 'protectedTags'>,
) {
  const branch = env.CI_COMMIT_REF_NAME ?? '';
  const path = env.CI_PROJECT_PATH ?? '';
  const refType = env.CI_COMMIT_TAG === undefined ? 'branch' : 'tag';
  return {
    iss: GITLAB_ISSUER,
    aud: audience as string | string[],
    sub: `project_path:${path}:ref_type:${refType}:ref:${branch}`,
    namespace_id: '7001',
    namespace_path: env.CI_PROJECT_NAMESPACE,
    project_id: env.CI_PROJECT_ID,
    project_path: path,
    user_id: '5',
    user_login: env.GITLAB_USER_LOGIN,
    user_email: `${env.GITLAB_USER_LOGIN}@example.com`,
    pipeline_id: env.CI_PIPELINE_ID,
    pipeline_source: env.CI_PIPELINE_SOURCE,
    job_id: env.CI_JOB_ID,
    ref: branch,
    ref_type: refType,
    ref_path: refType === 'tag' ? `refs/tags/${branch}` : `refs/heads/${branch}`,
    ref_protected: String(
      refType === 'tag'
        ? (options.protectedTags ?? []).includes(branch)
        : (options.protectedBranches ?? ['main']).includes(branch),
    ),
    runner_id: 1,
    runner_environment: 'gitlab-hosted',
    sha: env.CI_COMMIT_SHA,
    ...(env.CI_ENVIRONMENT_NAME === undefined
      ? {}
      : {
          environment: env.CI_ENVIRONMENT_NAME,
          environment_protected: String(env.CI_ENVIRONMENT_NAME === 'production'),
          deployment_tier: env.CI_ENVIRONMENT_TIER,
        }),
  };
}

/**
 * GitLab's predefined variables for a merge request pipeline (detached: GitLab's default, run on
 * the source branch's head), a branch pipeline, or a tag pipeline (`tag`: `branch` is then
 * ignored, as GitLab sets no branch variable for a tag).
 */
export function gitlabVariables(pipeline: {
  source: 'merge_request_event' | 'push';
  project: string;
  branch: string;
  sha: string;
  message: string;
  pipelineId: number;
  mergeRequest?: {
    iid: number;
    title: string;
    description: string;
    target: string;
    draft?: boolean;
  };
  openMergeRequests?: boolean;
  /** A tag pipeline for this tag. */
  tag?: string;
}): Record<string, string> {
  const refName = pipeline.tag ?? pipeline.branch;
  const [namespace] = pipeline.project.split(/\/(?=[^/]+$)/);
  const projectUrl = `https://gitlab.com/${pipeline.project}`;
  const variables: Record<string, string> = {
    CI: 'true',
    GITLAB_CI: 'true',
    CI_SERVER_URL: 'https://gitlab.com',
    CI_SERVER_HOST: 'gitlab.com',
    CI_API_V4_URL: 'https://gitlab.com/api/v4',
    CI_PROJECT_ID: '4242',
    CI_PROJECT_PATH: pipeline.project,
    CI_PROJECT_NAMESPACE: namespace ?? '',
    CI_PROJECT_NAME: pipeline.project.split('/').at(-1) ?? '',
    CI_PROJECT_URL: projectUrl,
    CI_DEFAULT_BRANCH: 'main',
    CI_PIPELINE_ID: String(pipeline.pipelineId),
    CI_PIPELINE_IID: String(pipeline.pipelineId % 1000),
    CI_PIPELINE_SOURCE: pipeline.source,
    CI_PIPELINE_URL: `${projectUrl}/-/pipelines/${pipeline.pipelineId}`,
    CI_COMMIT_SHA: pipeline.sha,
    CI_COMMIT_SHORT_SHA: pipeline.sha.slice(0, 8),
    CI_COMMIT_BEFORE_SHA: '0000000000000000000000000000000000000000',
    CI_COMMIT_REF_NAME: refName,
    CI_COMMIT_REF_SLUG: refName.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    CI_COMMIT_MESSAGE: pipeline.message,
    CI_COMMIT_TITLE: pipeline.message.split('\n')[0] ?? '',
    CI_COMMIT_AUTHOR: 'Alice Example <alice@example.com>',
    GITLAB_USER_LOGIN: 'alice',
    GITLAB_USER_NAME: 'Alice Example',
  };
  if (pipeline.tag !== undefined) {
    variables.CI_COMMIT_TAG = pipeline.tag;
    variables.CI_COMMIT_TAG_MESSAGE = pipeline.message;
  } else if (pipeline.source === 'push') {
    variables.CI_COMMIT_BRANCH = pipeline.branch;
    if (pipeline.openMergeRequests) variables.CI_OPEN_MERGE_REQUESTS = `${pipeline.project}!7`;
  }
  if (pipeline.mergeRequest !== undefined) {
    const mr = pipeline.mergeRequest;
    Object.assign(variables, {
      CI_MERGE_REQUEST_ID: String(90_000 + mr.iid),
      CI_MERGE_REQUEST_IID: String(mr.iid),
      CI_MERGE_REQUEST_TITLE: mr.title,
      CI_MERGE_REQUEST_DESCRIPTION: mr.description,
      CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: pipeline.branch,
      // CI_MERGE_REQUEST_SOURCE_BRANCH_SHA is set only in merged results pipelines, not here.
      CI_MERGE_REQUEST_TARGET_BRANCH_NAME: mr.target,
      CI_MERGE_REQUEST_DRAFT: String(mr.draft === true),
      CI_MERGE_REQUEST_PROJECT_PATH: pipeline.project,
      CI_MERGE_REQUEST_PROJECT_URL: projectUrl,
      CI_MERGE_REQUEST_EVENT_TYPE: 'detached',
    });
  }
  return variables;
}
