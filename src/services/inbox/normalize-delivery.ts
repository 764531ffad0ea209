// A stored delivery's normalized events, from the adapter of its provider.
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import type { AdapterResult } from '../../providers/adapter-result.js';
import { normalizeGithubEvent } from '../../providers/github/github-events.js';
import { normalizeGitlabEvent } from '../../providers/gitlab/gitlab-events.js';
import type { DeliveryRecord } from '../../storage/delivery-repository.js';
import { parsePayload } from './receive-webhook.js';

/** Provider name of deliveries posted in normalized form (/ci/events, /deployments). */
export const NORMALIZED_PROVIDER = 'ci';

export function normalizeDelivery(delivery: DeliveryRecord): AdapterResult {
  const payload = parsePayload(
    Buffer.from(delivery.body, 'utf8'),
    delivery.headers['content-type'],
  );
  if (payload === undefined) return { status: 'ignored', reason: 'the body is not JSON' };
  switch (delivery.provider) {
    case 'github':
      return normalizeGithubEvent(delivery.event, payload);
    case 'gitlab':
      return normalizeGitlabEvent(delivery.event, payload);
    case NORMALIZED_PROVIDER:
      return { status: 'events', events: [payload as NormalizedEvent] };
    default:
      return { status: 'ignored', reason: `no adapter for provider ${delivery.provider}` };
  }
}
