// What a group commit does with its batch: deliveries whose body was not parsed on the request's
// path are checked to be JSON and given their repository here, then all are inserted at once.
import { type ProviderTable, webhookProviders } from '../../providers/index.js';
import type { NewDelivery } from '../../storage/delivery-repository.js';
import type { Repositories } from '../../storage/store.js';
import { inspectDelivery } from './receive-webhook.js';

export interface InboxItem {
  delivery: NewDelivery;
  /** The body still has to be parsed (it was verified with a global secret). */
  inspect: boolean;
}

export type InboxResult = { id: string; duplicate: boolean } | { malformed: true };

/** A batch whose bodies were checked: what to insert, and the answers known already. */
export interface CheckedBatch {
  storable: NewDelivery[];
  /** Each storable delivery's position in the batch. */
  positions: number[];
  /** Known before the insert: `malformed` for a body that is not JSON. */
  results: (InboxResult | undefined)[];
}

/** Commits a batch: checkBatch, then insertBatch in the caller's transaction. */
export async function storeDeliveries(
  deliveries: Pick<Repositories['deliveries'], 'insertDeliveries'>,
  items: readonly InboxItem[],
  providers: ProviderTable = webhookProviders,
): Promise<InboxResult[]> {
  return insertBatch(deliveries, checkBatch(items, providers));
}

/**
 * Parses the bodies the request path did not, before any lock is taken: the delivery writer
 * thread does this while the inbox worker may still hold SQLite's write lock.
 */
export function checkBatch(
  items: readonly InboxItem[],
  providers: ProviderTable = webhookProviders,
): CheckedBatch {
  const results: (InboxResult | undefined)[] = items.map(() => undefined);
  const storable: NewDelivery[] = [];
  const positions: number[] = [];
  items.forEach((item, index) => {
    if (!item.inspect) {
      storable.push(item.delivery);
      positions.push(index);
      return;
    }
    const inspection = inspectDelivery(providers, item.delivery);
    if (inspection === undefined) {
      results[index] = { malformed: true };
      return;
    }
    storable.push({ ...item.delivery, repository: inspection.repository });
    positions.push(index);
  });
  return { storable, positions, results };
}

/** Inserts a checked batch and answers each item, in the batch's order. */
export async function insertBatch(
  deliveries: Pick<Repositories['deliveries'], 'insertDeliveries'>,
  batch: CheckedBatch,
): Promise<InboxResult[]> {
  const results = [...batch.results];
  const stored = await deliveries.insertDeliveries(batch.storable);
  stored.forEach((result, index) => {
    results[batch.positions[index]!] = result;
  });
  return results as InboxResult[];
}
