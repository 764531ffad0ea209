// The reconciliation for one GitLab forge entry: asks the project's hooks (with `repository:`), or
// the group's hooks and those of each project storyflow has heard from under the group (with
// `owner:`), which events they sent, and has GitLab resend every event whose delivery ids
// (Idempotency-Key, X-Gitlab-Event-UUID, webhook-id) are not in the inbox. A resent event keeps
// its Idempotency-Key, which the inbox prefers, so a resend of something already stored is a
// duplicate and changes nothing.
import type { ForgeConfig } from '../../config/config.js';
import type { Store } from '../../storage/store.js';
import {
  deliveredStatus,
  GitlabCallError,
  type GitlabHookEvent,
  type GitlabHookEventsClient,
  type HookParent,
} from './gitlab-hook-events.js';

/** The counts of one forge entry's run (the totals of the summary add them up). */
export type ForgeReconcileSummary = {
  forge: string;
  provider: string;
  repositories: string[];
  checked: number;
  missing: number;
  failed: number;
  redelivered: number;
  alreadyReceived: number;
  errors: { repository: string; message: string }[];
};

/** An event resent this many times without arriving is left alone (and reported). */
const MAX_RESENDS = 3;
const WEBHOOK_PATH = /\/webhooks\/gitlab\/?$/;

export async function reconcileGitlabForge(
  store: Store,
  forge: ForgeConfig,
  client: GitlabHookEventsClient,
  since: Date,
  part: ForgeReconcileSummary,
  signal?: AbortSignal,
): Promise<void> {
  const handled = new Set<string>();
  const parents: HookParent[] = [];
  if (forge.repository !== null) parents.push({ kind: 'projects', path: forge.repository });
  else if (forge.owner !== null) {
    parents.push({ kind: 'groups', path: forge.owner });
    // storyflow cannot know of a project it never heard from.
    for (const project of await store.deliveries.listRepositories('gitlab'))
      if (project.startsWith(`${forge.owner}/`)) parents.push({ kind: 'projects', path: project });
  }
  let groupHooked = false;
  for (const parent of parents) {
    if (signal?.aborted) break;
    part.repositories.push(parent.path);
    try {
      const hooks = await hooksOf(forge, parent, client);
      if (parent.kind === 'groups') groupHooked = hooks.length > 0;
      else if (hooks.length === 0 && !groupHooked) {
        part.errors.push({
          repository: parent.path,
          message:
            forge.hookUrl === undefined
              ? 'no webhook of the project posts to a URL ending in /webhooks/gitlab'
              : `no webhook of the project posts to ${forge.hookUrl}`,
        });
        continue;
      }
      for (const hookId of hooks)
        await reconcileHook(store, client, parent, hookId, since, handled, part);
    } catch (error) {
      part.errors.push({ repository: parent.path, message: (error as Error).message });
    }
  }
}

async function reconcileHook(
  store: Store,
  client: GitlabHookEventsClient,
  parent: HookParent,
  hookId: number,
  since: Date,
  handled: Set<string>,
  part: ForgeReconcileSummary,
): Promise<void> {
  const attempts = new Map<string, GitlabHookEvent[]>();
  for (const event of await client.listEvents(parent, hookId, since)) {
    const key = event.deliveryIds[0];
    if (key === undefined) {
      part.errors.push({
        repository: parent.path,
        message: `hook ${hookId} event ${event.id} carries no delivery id (GitLab before 17.4?); not resent`,
      });
      continue;
    }
    if (handled.has(key)) continue;
    attempts.set(key, [...(attempts.get(key) ?? []), event]);
  }
  const ids = [...attempts.values()].flatMap((tries) => tries.flatMap((t) => t.deliveryIds));
  const stored = await store.deliveries.storedDeliveryIds('gitlab', ids);
  const due: GitlabHookEvent[] = [];
  for (const [key, tries] of attempts) {
    handled.add(key);
    part.checked += 1;
    if (tries.some((attempt) => attempt.deliveryIds.some((id) => stored.has(id)))) {
      part.alreadyReceived += 1;
      continue;
    }
    const latest = latestOf(tries);
    const delivered = deliveredStatus(latest.responseStatus);
    if (delivered) part.missing += 1;
    else part.failed += 1;
    if (!delivered && tries.length - 1 >= MAX_RESENDS) {
      part.errors.push({
        repository: parent.path,
        message:
          `event ${key} (${latest.event}) failed ${tries.length - 1} resends ` +
          `(last: ${latest.responseStatus}); not asked again`,
      });
      continue;
    }
    due.push(latest);
  }
  for (const [index, event] of due.entries()) {
    try {
      await client.resend(parent, hookId, event.id);
      part.redelivered += 1;
    } catch (error) {
      if (error instanceof GitlabCallError && error.status === 429) {
        // GitLab allows five resends a minute per hook: the rest wait for the next run.
        part.errors.push({
          repository: parent.path,
          message: `hook ${hookId}: GitLab limits resends (429); ${due.length - index} left for the next run`,
        });
        return;
      }
      part.errors.push({ repository: parent.path, message: (error as Error).message });
    }
  }
}

/** The ids of `parent`'s hooks that post to storyflow. */
async function hooksOf(
  forge: ForgeConfig,
  parent: HookParent,
  client: GitlabHookEventsClient,
): Promise<number[]> {
  // hookId names the project's hook (repository:) or the group's (owner:).
  if (forge.hookId !== undefined && (forge.repository !== null) === (parent.kind === 'projects'))
    return [forge.hookId];
  let hooks: Awaited<ReturnType<GitlabHookEventsClient['listHooks']>>;
  try {
    hooks = await client.listHooks(parent);
  } catch (error) {
    // Group webhooks are a paid tier's, and may not be readable: the projects' hooks still are.
    if (
      parent.kind === 'groups' &&
      error instanceof GitlabCallError &&
      [403, 404].includes(error.status ?? 0)
    )
      return [];
    throw error;
  }
  return hooks
    .filter((hook) => {
      // A hook GitLab turned off delivers nothing until someone turns it back on.
      if (hook.url === null || !hook.active) return false;
      if (forge.hookUrl !== undefined) return hook.url === forge.hookUrl;
      try {
        return WEBHOOK_PATH.test(new URL(hook.url).pathname);
      } catch {
        return false;
      }
    })
    .map((hook) => hook.id);
}

function latestOf(tries: GitlabHookEvent[]): GitlabHookEvent {
  return tries.reduce((latest, attempt) =>
    Date.parse(attempt.createdAt ?? '') > Date.parse(latest.createdAt ?? '') ||
    (attempt.createdAt === latest.createdAt && attempt.id > latest.id)
      ? attempt
      : latest,
  );
}
