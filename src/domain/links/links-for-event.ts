// What an event links to the stories it names: its branch, commits, PR, pipeline, deployment.
import type { NormalizedEvent } from '../events/normalized-event.js';
import type { LinkType } from './link-type.js';

export interface LinkTemplate {
  type: LinkType;
  /** Branch name, commit sha, PR number, pipeline id, or deployment environment. */
  key: string;
  /** Latest state: open/draft/merged/closed (PR), active/deleted (branch), the pipeline's or deployment's status. */
  state: string | null;
  url: string | null;
  title: string | null;
  sha: string | null;
  environment: string | null;
}

const PR_STATES: Partial<Record<NormalizedEvent['kind'], string>> = {
  'pr.opened': 'open',
  'pr.updated': 'open',
  'pr.ready': 'open',
  'pr.merged': 'merged',
  'pr.closed': 'closed',
};

export function linksForEvent(event: NormalizedEvent): LinkTemplate[] {
  const links: LinkTemplate[] = [];
  const link = (template: Partial<LinkTemplate> & Pick<LinkTemplate, 'type' | 'key'>) =>
    links.push({ state: null, url: null, title: null, sha: null, environment: null, ...template });

  const branch = event.pr?.source ?? event.branch;
  if (branch !== undefined && !event.kind.startsWith('deployment.')) {
    link({
      type: 'branch',
      key: branch,
      state: event.kind === 'branch.deleted' ? 'deleted' : 'active',
      sha: event.kind === 'branch.deleted' ? null : (event.sha ?? null),
    });
  }
  for (const commit of event.commits ?? []) {
    link({ type: 'commit', key: commit.sha, sha: commit.sha, title: firstLine(commit.message) });
  }
  if (event.pr !== undefined) {
    const state = PR_STATES[event.kind] ?? null;
    link({
      type: 'pr',
      key: String(event.pr.number),
      state: state === 'open' && event.pr.draft ? 'draft' : state,
      url: event.pr.url || null,
      title: event.pr.title,
      sha: event.kind === 'pr.merged' ? (event.sha ?? null) : null,
    });
  }
  if (event.pipeline !== undefined && event.kind.startsWith('pipeline.')) {
    // Latest status per branch: the pipeline link is keyed by branch (or tag), not by run.
    link({
      type: 'pipeline',
      key: branch ?? event.tag ?? event.pipeline.id,
      state: event.kind.slice('pipeline.'.length),
      url: event.pipeline.url ?? event.url ?? null,
      title: event.pipeline.name ?? null,
      sha: event.sha ?? null,
    });
  }
  if (event.kind.startsWith('deployment.') && event.environment !== undefined) {
    link({
      type: 'deployment',
      key: event.environment,
      state: event.kind.slice('deployment.'.length),
      url: event.deployment?.environmentUrl ?? event.url ?? null,
      sha: event.sha ?? null,
      environment: event.environment,
    });
  }
  return links;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}
