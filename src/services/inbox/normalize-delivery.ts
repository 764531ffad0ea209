// A stored delivery's normalized events, from the provider of the table that took it.
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import type { AdapterResult } from '../../providers/adapter-result.js';
import { findProvider, type ProviderTable } from '../../providers/index.js';
import { parsePayload } from '../../providers/webhook-request.js';
import type { DeliveryRecord } from '../../storage/delivery-repository.js';

/** Provider name of deliveries posted in normalized form (/ci/events, /deployments). */
export const NORMALIZED_PROVIDER = 'ci';

export function normalizeDelivery(
  providers: ProviderTable,
  delivery: DeliveryRecord,
): AdapterResult {
  const payload = parsePayload(delivery.body, delivery.headers['content-type']);
  if (payload === undefined) return { status: 'ignored', reason: 'the body is not JSON' };
  if (delivery.provider === NORMALIZED_PROVIDER) {
    return { status: 'events', events: [payload as NormalizedEvent] };
  }
  const provider = findProvider(providers, delivery.provider);
  if (provider === undefined) {
    return { status: 'ignored', reason: `no adapter for provider ${delivery.provider}` };
  }
  return provider.normalize(delivery.event, payload);
}
