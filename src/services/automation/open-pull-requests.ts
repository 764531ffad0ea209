// The open PRs of the stories an event names, read only when a rule in force for the event
// waits for the last of them (`pullRequests: last`).
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import type { LinkedPullRequest, Rule } from '../../domain/rules/rule.js';
import type { Repositories } from '../../storage/store.js';

export async function openPullRequests(
  tx: Repositories,
  event: NormalizedEvent,
  rules: readonly Rule[],
  stories: readonly string[],
): Promise<Map<string, LinkedPullRequest[]>> {
  const open = new Map<string, LinkedPullRequest[]>();
  const waits = rules.some(
    (rule) => rule.if?.pullRequests === 'last' && rule.on.includes(event.kind),
  );
  if (!waits || stories.length === 0) return open;
  for (const link of await tx.links.findOpenPullRequests(stories)) {
    const list = open.get(link.story) ?? [];
    list.push({ repository: link.repository, number: link.key });
    open.set(link.story, list);
  }
  return open;
}
