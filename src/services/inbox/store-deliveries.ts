// What a group commit does with its batch: deliveries whose body was not parsed on the request's
// path are checked to be JSON and given their repository here, then all are inserted at once.
import type { NewDelivery } from '../../storage/delivery-repository.js';
import type { Repositories } from '../../storage/store.js';
import { inspectDelivery } from './receive-webhook.js';

export interface InboxItem {
  delivery: NewDelivery;
  /** The body still has to be parsed (it was verified with a global secret). */
  inspect: boolean;
}

export type InboxResult = { id: string; duplicate: boolean } | { malformed: true };

export async function storeDeliveries(
  deliveries: Pick<Repositories['deliveries'], 'insertDeliveries'>,
  items: readonly InboxItem[],
): Promise<InboxResult[]> {
  const results: (InboxResult | undefined)[] = items.map(() => undefined);
  const storable: NewDelivery[] = [];
  const positions: number[] = [];
  items.forEach((item, index) => {
    if (!item.inspect) {
      storable.push(item.delivery);
      positions.push(index);
      return;
    }
    const inspection = inspectDelivery(item.delivery);
    if (inspection === undefined) {
      results[index] = { malformed: true };
      return;
    }
    storable.push({ ...item.delivery, repository: inspection.repository });
    positions.push(index);
  });
  const stored = await deliveries.insertDeliveries(storable);
  stored.forEach((result, index) => {
    results[positions[index]!] = result;
  });
  return results as InboxResult[];
}
