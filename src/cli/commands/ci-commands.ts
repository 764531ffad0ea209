// `storyflow ci event|deploy|status|link`: report from inside a pipeline. Knows GitHub Actions,
// GitLab CI and Jenkins; retries under one idempotency key; by default never fails the job
// because storyflow is unreachable (--fail-on-error to change that).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { resolveCredential } from '../ci/ci-credentials.js';
import { type CiEvent, ciEventFromContext } from '../ci/ci-event-from-context.js';
import { ciRequest } from '../ci/ci-http.js';
import { type CiReport, summaryLines, writeGithubOutputs } from '../ci/ci-report.js';
import { type CiContext, detectCiContext } from '../ci/detect-ci-context.js';
import { CliError, EXIT } from '../exit-codes.js';

export interface CiCommandContext {
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  sleep?: (ms: number) => Promise<void>;
}

interface CommonOptions {
  url?: string;
  token?: string;
  oidcAudience?: string;
  repository?: string;
  branch?: string;
  sha?: string;
  story?: string[];
  dryRun?: boolean;
  failOnError?: boolean;
  json?: boolean;
  attempts?: string;
  timeout?: string;
  idempotencyKey?: string;
}

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value.split(',').filter(Boolean),
];

function withCommon(command: Command): Command {
  return command
    .option('--url <url>', 'storyflow server (env STORYFLOW_URL)')
    .option('--token <token>', 'API token (env STORYFLOW_TOKEN)')
    .option('--oidc-audience <aud>', "use the runner's OIDC id token (env STORYFLOW_OIDC_AUDIENCE)")
    .option('--repository <owner/name>', 'override the detected repository')
    .option('--branch <branch>', 'override the detected branch')
    .option('--sha <sha>', 'override the detected commit')
    .option('--story <id>', 'name a story explicitly (repeatable)', collect)
    .option('--dry-run', 'print what would be sent and what the server would do; change nothing')
    .option('--fail-on-error', 'fail the job (exit 3) when storyflow cannot be reached')
    .option('--json', 'print the answer as JSON')
    .option('--attempts <n>', 'attempts before giving up (default 5)')
    .option(
      '--timeout <seconds>',
      'how long each attempt waits for an answer (default 30); a server that never answers exits 1',
    )
    .option('--idempotency-key <key>', 'override the key derived from the run');
}

export function addCiCommands(program: Command, context: CiCommandContext): void {
  const ci = program
    .command('ci')
    .description('report from a CI pipeline (GitHub Actions, GitLab CI, Jenkins, or flags)');

  withCommon(
    ci
      .command('event')
      .description('report what this job is: a push, a PR, or the pipeline result (--status)')
      .option('--kind <kind>', 'the event kind (push, pr.opened, pipeline.failed, …)')
      .option('--status <status>', 'started | success | failure: the pipeline result'),
  ).action(async (options: CommonOptions & { kind?: string; status?: string }) => {
    const ciContext = contextOf(context.env, options);
    let event: CiEvent;
    try {
      event = ciEventFromContext(ciContext, {
        ...(options.kind === undefined ? {} : { kind: options.kind }),
        ...(options.status === undefined ? {} : { status: options.status }),
        ...(options.story === undefined ? {} : { stories: options.story }),
      });
    } catch (error) {
      // An unknown repository or a bad --status is a usage error (exit 2), not a crash.
      throw new CliError(EXIT.usage, (error as Error).message);
    }
    await send(context, options, ciContext, 'ci event', '/api/v1/ci/events', event, event);
  });

  withCommon(
    ci
      .command('deploy')
      .description('report a deployment of this commit')
      .requiredOption(
        '--environment <name>',
        'production, staging, … (GitLab: CI_ENVIRONMENT_NAME)',
      )
      .requiredOption('--status <status>', 'started | success | failure | rolled_back')
      .option('--environment-url <url>', 'where the deployment can be seen'),
  ).action(
    async (
      options: CommonOptions & { environment: string; status: string; environmentUrl?: string },
    ) => {
      const ciContext = contextOf(context.env, options);
      if (!['started', 'success', 'failure', 'rolled_back'].includes(options.status)) {
        throw new CliError(
          EXIT.usage,
          `--status must be started, success, failure or rolled_back, got "${options.status}"`,
        );
      }
      if (ciContext.repository === undefined)
        throw new CliError(EXIT.usage, 'the repository is unknown: pass --repository owner/name');
      const body = {
        repository: ciContext.repository,
        environment: options.environment,
        status: options.status,
        ...(ciContext.sha === undefined ? {} : { sha: ciContext.sha }),
        ...(ciContext.branch === undefined ? {} : { ref: ciContext.branch }),
        ...(options.story === undefined ? {} : { stories: options.story }),
        ...(options.environmentUrl === undefined ? {} : { url: options.environmentUrl }),
        ...(ciContext.repositoryId === undefined ? {} : { repositoryId: ciContext.repositoryId }),
      };
      const asEvent: CiEvent = {
        kind: {
          started: 'deployment.started',
          success: 'deployment.succeeded',
          failure: 'deployment.failed',
          rolled_back: 'deployment.rolled_back',
        }[options.status] as string,
        repository: ciContext.repository,
        environment: options.environment,
        ...(ciContext.sha === undefined ? {} : { sha: ciContext.sha }),
        ...(ciContext.branch === undefined ? {} : { branch: ciContext.branch }),
        ...(options.story === undefined ? {} : { stories: options.story }),
      };
      await send(
        context,
        options,
        ciContext,
        `ci deploy ${options.environment} ${options.status}`,
        '/api/v1/deployments',
        body,
        asEvent,
      );
    },
  );

  withCommon(
    ci
      .command('status')
      .description('move a story to a status (needs stories:write)')
      .argument('<id>', 'story id, e.g. INT-003')
      .argument('<status>', 'target status, e.g. in_review'),
  ).action(async (id: string, status: string, options: CommonOptions) => {
    const ciContext = contextOf(context.env, options);
    await send(
      context,
      options,
      ciContext,
      `ci status ${id} ${status}`,
      `/api/v1/stories/${encodeURIComponent(id)}/transitions`,
      {
        to: status,
        reason: `reported by ${ciContext.provider}${ciContext.pipeline?.url ? ` (${ciContext.pipeline.url})` : ''}`,
      },
    );
  });

  withCommon(
    ci
      .command('link')
      .description("link this job's branch, PR and pipeline to stories (named with --story)"),
  ).action(async (options: CommonOptions) => {
    const ciContext = contextOf(context.env, options);
    if (options.story === undefined || options.story.length === 0)
      throw new CliError(EXIT.usage, 'name the stories with --story ID');
    if (ciContext.repository === undefined)
      throw new CliError(EXIT.usage, 'the repository is unknown: pass --repository owner/name');
    const links = linksOf(ciContext);
    for (const story of options.story) {
      await send(
        context,
        options,
        ciContext,
        `ci link ${story}`,
        `/api/v1/stories/${encodeURIComponent(story)}/links`,
        {
          links,
        },
      );
    }
  });

  addGateCommand(ci, context);
}

interface GateOptions {
  url?: string;
  token?: string;
  oidcAudience?: string;
  repository?: string;
  sha?: string;
  environment: string;
  failOnError?: boolean;
  json?: boolean;
  attempts?: string;
  timeout?: string;
}

interface GateAnswer {
  decision: 'allow' | 'deny';
  stories: { id: string; status: string; required: string[] }[];
  reasons: string[];
  since?: string | null;
}

/**
 * `storyflow ci gate --environment production`: asks GET /api/v1/gates/deployment whether this
 * commit may be deployed, prints the stories and reasons, and exits 1 on deny (0 with a warning
 * when storyflow cannot be reached, unless --fail-on-error).
 */
function addGateCommand(ci: Command, context: CiCommandContext): void {
  ci.command('gate')
    .description(
      'before deploying: may this commit go to the environment? exits 1 when storyflow denies it',
    )
    .requiredOption('--environment <name>', 'the environment about to be deployed to')
    .option('--url <url>', 'storyflow server (env STORYFLOW_URL)')
    .option('--token <token>', 'API token with stories:read (env STORYFLOW_TOKEN)')
    .option('--oidc-audience <aud>', "use the runner's OIDC id token (env STORYFLOW_OIDC_AUDIENCE)")
    .option('--repository <owner/name>', 'override the detected repository')
    .option('--sha <sha>', 'override the detected commit')
    .option('--fail-on-error', 'fail the job (exit 3) when storyflow cannot be reached')
    .option('--json', 'print the answer as JSON')
    .option('--attempts <n>', 'attempts before giving up (default 5)')
    .option('--timeout <seconds>', 'how long each attempt waits for an answer (default 30)')
    .action(async (options: GateOptions) => {
      const ciContext = contextOf(context.env, options);
      if (ciContext.repository === undefined)
        throw new CliError(EXIT.usage, 'the repository is unknown: pass --repository owner/name');
      const http = await httpOptions(context, options);
      if (http === undefined) return;
      const query = new URLSearchParams({
        repository: ciContext.repository,
        environment: options.environment,
        ...(ciContext.sha === undefined ? {} : { sha: ciContext.sha }),
      });
      const result = await ciRequest(
        http,
        'GET',
        `/api/v1/gates/deployment?${query}`,
        undefined,
        undefined,
      );
      if (!result.ok)
        return result.kind === 'unreachable'
          ? giveUp(context, options, result.message)
          : reject(result.message);
      const answer = result.body as GateAnswer;
      if (options.json) context.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
      else
        for (const line of gateLines(options.environment, answer))
          context.stdout.write(`${line}\n`);
      if (answer.decision !== 'allow')
        throw new CliError(
          EXIT.serverFailure,
          `storyflow denies the deployment to ${options.environment}: ${answer.reasons.join('; ')}`,
        );
    });
}

/** The gate's answer as a table: one row per story, then the reasons. */
export function gateLines(environment: string, answer: GateAnswer): string[] {
  const rows = [
    ['STORY', 'STATUS', 'REQUIRED', ''],
    ...answer.stories.map((story) => [
      story.id,
      story.status,
      story.required.join(' or ') || '-',
      story.required.length === 0 || story.required.includes(story.status) ? 'ok' : 'NOT READY',
    ]),
  ];
  const widths = [0, 1, 2].map((column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  const lines = [
    `storyflow gate ${environment}: ${answer.decision.toUpperCase()} ` +
      `(${answer.stories.length} ${answer.stories.length === 1 ? 'story' : 'stories'}` +
      `${answer.since ? ` since the deployment of ${answer.since}` : ''})`,
  ];
  if (answer.stories.length > 0)
    lines.push(
      ...rows.map((row) =>
        row
          .map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell))
          .join('  ')
          .trimEnd(),
      ),
    );
  for (const reason of answer.reasons) lines.push(`- ${reason}`);
  return lines;
}

/** The HTTP options of a command, or undefined when no credential could be had (warned). */
async function httpOptions(
  context: CiCommandContext,
  options: Pick<
    CommonOptions,
    'url' | 'token' | 'oidcAudience' | 'attempts' | 'timeout' | 'failOnError'
  >,
) {
  if (options.attempts !== undefined && !/^[1-9][0-9]*$/.test(options.attempts))
    throw new CliError(
      EXIT.usage,
      `--attempts must be a whole number ≥ 1, got "${options.attempts}"`,
    );
  const timeoutSeconds = options.timeout === undefined ? undefined : Number(options.timeout);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0 && timeoutSeconds <= 3600))
    throw new CliError(
      EXIT.usage,
      `--timeout must be a number of seconds above 0 (at most 3600), got "${options.timeout}"`,
    );
  let token: string | undefined;
  try {
    token = await resolveCredential(context.env, {
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.oidcAudience === undefined ? {} : { oidcAudience: options.oidcAudience }),
    });
  } catch (error) {
    giveUp(context, options, `cannot get a credential: ${(error as Error).message}`);
    return undefined;
  }
  return {
    baseUrl: options.url ?? context.env.STORYFLOW_URL ?? 'http://localhost:8080',
    token,
    ...(options.attempts === undefined ? {} : { attempts: Number(options.attempts) }),
    ...(timeoutSeconds === undefined ? {} : { timeoutMs: Math.round(timeoutSeconds * 1000) }),
    ...(context.sleep === undefined ? {} : { sleep: context.sleep }),
    onRetry: (line: string) => context.stderr.write(`${line}\n`),
  };
}

function contextOf(
  env: Record<string, string | undefined>,
  options: Pick<CommonOptions, 'repository' | 'branch' | 'sha'>,
): CiContext {
  let event: unknown;
  if (env.GITHUB_EVENT_PATH) {
    try {
      event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'));
    } catch {
      event = undefined;
    }
  }
  const detected = detectCiContext(env, event);
  return {
    ...detected,
    ...(options.repository === undefined ? {} : { repository: options.repository }),
    ...(options.branch === undefined ? {} : { branch: options.branch }),
    ...(options.sha === undefined ? {} : { sha: options.sha }),
  };
}

function linksOf(context: CiContext) {
  const repository = context.repository as string;
  const links: Record<string, unknown>[] = [];
  if (context.branch)
    links.push({
      type: 'branch',
      repository,
      key: context.branch,
      state: 'active',
      sha: context.sha ?? null,
    });
  if (context.pr) {
    links.push({
      type: 'pr',
      repository,
      key: String(context.pr.number),
      url: context.pr.url || null,
      title: context.pr.title,
      state: context.pr.draft ? 'draft' : 'open',
    });
  }
  if (context.pipeline) {
    links.push({
      type: 'pipeline',
      repository,
      key: context.branch ?? context.pipeline.id,
      url: context.pipeline.url ?? null,
      title: context.pipeline.name ?? null,
      state: 'started',
      sha: context.sha ?? null,
    });
  }
  return links;
}

async function send(
  context: CiCommandContext,
  options: CommonOptions,
  ciContext: CiContext,
  command: string,
  path: string,
  body: unknown,
  simulateEvent?: CiEvent,
): Promise<void> {
  const key = options.idempotencyKey ?? idempotencyKeyFor(ciContext, command, body);
  const http = await httpOptions(context, options);
  if (http === undefined) return;
  const baseUrl = http.baseUrl;

  if (options.dryRun) {
    context.stdout.write(
      `storyflow (dry run): POST ${baseUrl}${path}\nIdempotency-Key: ${key}\n${JSON.stringify(body, null, 2)}\n`,
    );
    if (simulateEvent === undefined) return;
    const simulated = await ciRequest(
      http,
      'POST',
      '/api/v1/rules/simulate',
      { events: [simulateEvent] },
      undefined,
    );
    if (!simulated.ok) {
      return simulated.kind === 'unreachable'
        ? giveUp(context, options, simulated.message)
        : reject(simulated.message);
    }
    const report: CiReport = {
      command,
      dryRun: true,
      operations: (simulated.body as { operations?: [] }).operations ?? [],
    };
    return print(context, options, report, simulated.body);
  }

  const result = await ciRequest(http, 'POST', path, body, key);
  // Refused, or reached but never answered (a stuck server): exit 1. Unreachable: a warning.
  if (!result.ok)
    return result.kind === 'unreachable'
      ? giveUp(context, options, result.message)
      : reject(result.message);
  const answer = result.body as {
    delivery?: string;
    duplicate?: boolean;
    operations?: CiReport['operations'];
    // A transition answers the story; a link request how many links it recorded.
    id?: string;
    status?: string;
    version?: number;
    linked?: number;
  } | null;
  const story =
    typeof answer?.id === 'string' &&
    typeof answer.status === 'string' &&
    typeof answer.version === 'number'
      ? { id: answer.id, status: answer.status, version: answer.version }
      : undefined;
  const report: CiReport = {
    command,
    ...(answer?.delivery === undefined ? {} : { delivery: answer.delivery }),
    ...(answer?.duplicate === undefined ? {} : { duplicate: answer.duplicate }),
    ...(result.replayed ? { replayed: true } : {}),
    ...(story === undefined ? {} : { story }),
    ...(typeof answer?.linked === 'number' ? { linked: answer.linked } : {}),
    operations: answer?.operations ?? [],
  };
  print(context, options, report, result.body);
}

function print(
  context: CiCommandContext,
  options: CommonOptions,
  report: CiReport,
  raw: unknown,
): void {
  if (options.json) context.stdout.write(`${JSON.stringify(raw, null, 2)}\n`);
  else for (const line of summaryLines(report)) context.stdout.write(`${line}\n`);
  writeGithubOutputs(context.env, report);
}

function reject(message: string): never {
  throw new CliError(EXIT.serverFailure, message);
}

/** Unreachable: a warning and success, unless the job asked to fail. */
function giveUp(
  context: CiCommandContext,
  options: Pick<CommonOptions, 'failOnError'>,
  message: string,
): void {
  if (options.failOnError) throw new CliError(EXIT.unreachable, message);
  const warning = `storyflow: ${message}; the job goes on (use --fail-on-error to fail it)`;
  // GitHub Actions shows ::warning:: lines as annotations.
  context.stderr.write(
    context.env.GITHUB_ACTIONS === 'true' ? `::warning::${warning}\n` : `WARNING: ${warning}\n`,
  );
}

/** One key per run, job, command and payload: a retried step (or a re-run of it) is the same request. */
export function idempotencyKeyFor(context: CiContext, command: string, body: unknown): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([context.runKey ?? '', command, body]))
    .digest('hex');
  return `storyflow-ci-${digest.slice(0, 40)}`;
}
