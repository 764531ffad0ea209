// A delivery to store in tests: a GitHub push received at a fixed time, with whatever the test
// cares about given explicitly.
import type { NewDelivery } from '../../src/storage/delivery-repository.js';

export function newDelivery(id: string, fields: Partial<NewDelivery> = {}): NewDelivery {
  return {
    id,
    provider: 'github',
    deliveryId: `${id}-remote`,
    event: 'push',
    headers: {},
    body: '{}',
    receivedAt: '2026-11-25T10:00:00.000Z',
    sourceAddress: null,
    repository: null,
    ...fields,
  };
}
