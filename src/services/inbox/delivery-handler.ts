// The seam where deliveries take effect: the inbox worker and /ci/events hand every
// delivery's normalized events to one handler, inside the transaction that marks the delivery
// processed, so effects and status commit together (exactly once).
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import type { DeliveryRecord } from '../../storage/delivery-repository.js';
import type { OperationRecord } from '../../storage/operation-repository.js';
import type { Repositories } from '../../storage/store.js';

/** What a handler did; operations are listed by /ci/events and on the delivery. */
export interface HandlerResult {
  operations: OperationRecord[];
}

export interface DeliveryHandler {
  handle(
    tx: Repositories,
    delivery: DeliveryRecord,
    events: NormalizedEvent[],
  ): Promise<HandlerResult>;
}

/**
 * Records the normalized events on the delivery and changes nothing else. The server always runs
 * the automation engine; this handler is for tests of the inbox worker on its own.
 */
export const recordEventsOnly: DeliveryHandler = {
  async handle() {
    return { operations: [] };
  },
};
