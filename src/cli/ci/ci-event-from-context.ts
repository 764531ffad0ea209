// The normalized event a CI step reports, from what the job is (its context) and the flags.
import type { CiContext } from './detect-ci-context.js';

export interface CiEventOptions {
  /** An explicit kind (push, pr.opened, pipeline.failed, …). */
  kind?: string;
  /** started | success | failure: report the pipeline's own state. */
  status?: string;
  stories?: string[];
}

export type CiEvent = Record<string, unknown> & { kind: string; repository: string };

const PIPELINE_KINDS: Record<string, string> = {
  started: 'pipeline.started',
  running: 'pipeline.started',
  success: 'pipeline.succeeded',
  succeeded: 'pipeline.succeeded',
  failure: 'pipeline.failed',
  failed: 'pipeline.failed',
  cancelled: 'pipeline.failed',
};

/** The event kind a job stands for when no --kind or --status says. */
export function kindFromContext(context: CiContext): string {
  const pr = context.pr;
  if (pr !== undefined) {
    switch (pr.action) {
      case 'opened':
      case 'reopened':
        return 'pr.opened';
      case 'ready_for_review':
        return 'pr.ready';
      case 'closed':
        return pr.merged ? 'pr.merged' : 'pr.closed';
      // GitLab CI and Jenkins run for a request that is open without saying what happened to
      // it: report it open (the rules move stories forward only, so a repeat changes nothing).
      case undefined:
        return 'pr.opened';
      default:
        return 'pr.updated';
    }
  }
  return 'push';
}

export function ciEventFromContext(context: CiContext, options: CiEventOptions): CiEvent {
  if (context.repository === undefined) {
    throw new Error('the repository is unknown: pass --repository owner/name');
  }
  let kind = options.kind;
  if (kind === undefined && options.status !== undefined) {
    kind = PIPELINE_KINDS[options.status];
    if (kind === undefined) {
      throw new Error(`--status must be started, success or failure, got "${options.status}"`);
    }
  }
  kind ??= kindFromContext(context);
  const event: CiEvent = { kind, repository: context.repository };
  if (context.repositoryId !== undefined) event.repositoryId = context.repositoryId;
  if (context.branch !== undefined) event.branch = context.branch;
  if (context.tag !== undefined) event.tag = context.tag;
  if (context.sha !== undefined) event.sha = context.sha;
  if (context.defaultBranch !== undefined) event.defaultBranch = context.defaultBranch;
  if (context.actor !== undefined) event.actor = context.actor;
  if (context.pr !== undefined && (kind.startsWith('pr.') || kind.startsWith('pipeline.'))) {
    const { action: _action, merged: _merged, ...pr } = context.pr;
    event.pr = pr;
  }
  if (context.commits !== undefined && context.commits.length > 0 && kind === 'push') {
    event.commits = context.commits;
  }
  if (context.pipeline !== undefined && kind.startsWith('pipeline.')) {
    event.pipeline = {
      ...context.pipeline,
      status: options.status ?? kind.slice('pipeline.'.length),
    };
  }
  if (context.pipeline?.url !== undefined) event.url = context.pipeline.url;
  if (options.stories !== undefined && options.stories.length > 0) event.stories = options.stories;
  return event;
}
