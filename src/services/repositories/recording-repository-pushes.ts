// The inbound trigger of stories as code: a push to a configured repository's tracked branch,
// from any provider (or /ci/events), is recorded in the delivery's own transaction. The git work
// happens later in the sync runner, so a fetch never holds up webhook intake or the inbox.
import type { RepositoryConfig } from '../../config/config.js';
import type { Clock } from '../../domain/clock.js';
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import { sameRepositoryName } from '../../domain/repositories/repository-name.js';
import type { DeliveryHandler } from '../inbox/delivery-handler.js';

/**
 * `inner`, then one recorded push per push event to a configured repository (by `name`, as events
 * name it, letter case aside as the forges do) and its branch; with no branch configured, a push to the default branch the event
 * names (or any branch when it names none: the sync then finds nothing new).
 */
export function recordingRepositoryPushes(
  inner: DeliveryHandler,
  repositories: readonly RepositoryConfig[],
  clock: Clock,
  onRecorded: () => void = () => {},
): DeliveryHandler {
  if (repositories.length === 0) return inner;
  return {
    async handle(tx, delivery, events) {
      const result = await inner.handle(tx, delivery, events);
      let recorded = false;
      for (const event of events) {
        const repository = trackedBy(repositories, event);
        if (repository === undefined) continue;
        await tx.repositorySync.recordPush(repository.name, clock.now().toISOString());
        recorded = true;
      }
      if (recorded) onRecorded();
      return result;
    },
  };
}

function trackedBy(
  repositories: readonly RepositoryConfig[],
  event: NormalizedEvent,
): RepositoryConfig | undefined {
  if (event.kind !== 'push' || event.branch === undefined) return undefined;
  const repository = repositories.find((entry) =>
    sameRepositoryName(entry.name, event.repository as string),
  );
  if (repository === undefined) return undefined;
  const tracked = repository.branch ?? event.defaultBranch ?? event.branch;
  return tracked === event.branch ? repository : undefined;
}
