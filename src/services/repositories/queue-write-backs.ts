// Stories as code, outbound (docs/git-sync.md): a change to a bound story made in storyflow
// records a write-back intent in the change's own transaction (StoryService calls this for
// every change of a story's document), so a change is written back to its file or, while git
// or the forge is down, waits: it is never lost. Changes the inbound sync makes (the file's own
// bytes) are not written back: that would be an echo.
import type { Config } from '../../config/config.js';
import type { Clock } from '../../domain/clock.js';
import type { IdGenerator } from '../../domain/ids.js';
import { changeSummary } from '../../domain/repositories/write-back-message.js';
import type { WriteBackIntent } from '../../storage/repository-writeback-repository.js';
import type { Repositories } from '../../storage/store.js';
import type { StoryChange } from '../story-service.js';

/** The actor id of the inbound sync (repository-sync-service.ts): its changes are not written back. */
export const GIT_SYNC_ACTOR_ID = 'git-sync';
/**
 * The actor id of an inbound import that merged storyflow's own changes into the file's: the
 * result differs from the file, so it is written back like any change made in storyflow.
 */
export const GIT_SYNC_MERGE_ACTOR_ID = 'git-sync-merge';

/** The write-back default delay: changes within it go out as one commit. */
export const DEFAULT_WRITE_BACK_DELAY_MS = 5000;

/**
 * The hook StoryService runs in each change's transaction: one intent per bound file of a
 * changed story, in a repository whose `writeBack` is not `off`.
 */
export function queueWriteBacks(
  config: Pick<Config, 'repositories' | 'git'>,
  clock: Clock,
  ids: IdGenerator,
  onQueued: () => void = () => {},
): (tx: Repositories, changes: StoryChange[]) => Promise<void> {
  const writing = new Set(
    config.repositories.filter((entry) => entry.writeBack !== 'off').map((entry) => entry.name),
  );
  const delayMs = config.git.writeBackDelayMs ?? DEFAULT_WRITE_BACK_DELAY_MS;
  return async (tx, changes) => {
    // No repository writes back: not even a query per change.
    if (writing.size === 0) return;
    const now = clock.now();
    const intents: WriteBackIntent[] = [];
    for (const change of changes) {
      if (change.context.actor.id === GIT_SYNC_ACTOR_ID) continue;
      const bindings = await tx.repositoryWriteBacks.bindingsOfStory(change.id);
      for (const binding of bindings) {
        if (!writing.has(binding.repository)) continue;
        intents.push({
          id: ids.next('wb'),
          repository: binding.repository,
          storyId: change.id,
          operationId: operationOf(change, ids),
          summary: changeSummary(change.id, change.before, change.after, change.context.reason),
          queuedAt: now.toISOString(),
          attempts: 0,
          nextAttemptAt: new Date(now.getTime() + delayMs).toISOString(),
          lastError: null,
        });
      }
    }
    if (intents.length === 0) return;
    await tx.repositoryWriteBacks.queue(intents);
    onQueued();
  };
}

/**
 * The storyflow operation a change belongs to, for its trailer: the automation or rollback
 * operation, else the batch, else the API request, else a new id (a change with none of them).
 */
function operationOf(change: StoryChange, ids: IdGenerator): string {
  const { context } = change;
  return context.operationId ?? context.batchId ?? context.requestId ?? ids.next('op');
}
