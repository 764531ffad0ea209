// Which stories one event names, and how: references in its branch, commits and PR, stories
// whose branch_name or links match, and ids the sender named explicitly. Unknown ids drop out.
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import {
  findBranchReferences,
  findTextReferences,
} from '../../domain/references/find-story-references.js';
import type { ReferenceConfig } from '../../domain/references/reference-patterns.js';
import { isWriteBackMessage } from '../../domain/repositories/write-back-message.js';
import { isDefaultBranchName } from '../../domain/rules/match-conditions.js';
import type { EventReference } from '../../domain/rules/rule.js';
import type { Repositories, StoryRecord } from '../../storage/store.js';

export interface CollectedStory {
  record: StoryRecord;
  references: EventReference[];
}

export async function collectReferences(
  tx: Repositories,
  event: NormalizedEvent,
  config: ReferenceConfig,
  extra: Map<string, EventReference[]> = new Map(),
  defaultBranches: readonly string[] = [],
): Promise<CollectedStory[]> {
  const found = new Map<string, EventReference[]>();
  const add = (id: string, reference: EventReference) => {
    const list = found.get(id) ?? [];
    if (
      !list.some(
        (existing) =>
          existing.source === reference.source && existing.relation === reference.relation,
      )
    ) {
      list.push(reference);
    }
    found.set(id, list);
  };

  const branch = event.pr?.source ?? event.branch;
  if (branch !== undefined) {
    for (const reference of findBranchReferences(branch, config)) add(reference.id, reference);
  }
  // A default branch belongs to no story: every story once mentioned on `main` is linked to it,
  // and following that link would make each later push or pipeline on `main` name them all.
  if (branch !== undefined && !isDefaultBranchName(branch, { event, defaultBranches })) {
    for (const story of await tx.stories.findStoriesByBranch(branch)) {
      add(story.id, { source: 'branch', relation: 'mentions', evidence: `branch_name ${branch}` });
    }
    for (const id of await tx.links.findLinkedStories('branch', event.repository, branch)) {
      add(id, { source: 'link', relation: 'mentions', evidence: `linked branch ${branch}` });
    }
  }
  for (const commit of event.commits ?? []) {
    // storyflow's own write-back commits name the stories they wrote: no echo (docs/git-sync.md).
    if (isWriteBackMessage(commit.message)) continue;
    for (const reference of findTextReferences(commit.message, 'commit', config))
      add(reference.id, reference);
  }
  if (event.pr !== undefined) {
    for (const reference of findTextReferences(event.pr.title, 'pr-title', config))
      add(reference.id, reference);
    for (const reference of findTextReferences(event.pr.body, 'pr-body', config))
      add(reference.id, reference);
  }
  // Pipelines and deployments name no story themselves: follow what the commit is linked to.
  if (
    event.sha !== undefined &&
    (event.kind.startsWith('deployment.') || event.kind.startsWith('pipeline.'))
  ) {
    for (const id of await tx.links.findStoriesBySha(event.repository, event.sha)) {
      add(id, {
        source: 'link',
        relation: 'mentions',
        evidence: `linked commit ${event.sha.slice(0, 12)}`,
      });
    }
  }
  for (const id of event.stories ?? []) {
    add(id, { source: 'event', relation: 'closes', evidence: 'named by the event' });
  }
  for (const [id, references] of extra) for (const reference of references) add(id, reference);

  const records = await tx.stories.getStories([...found.keys()]);
  return records.map((record) => ({ record, references: found.get(record.id) ?? [] }));
}
