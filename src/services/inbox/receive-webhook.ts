// Turns one webhook request into a delivery to store, or the reason to refuse it, for any
// provider of the table: the provider verifies the raw bytes before anything else is trusted
// (no unverified body is parsed); then the body must be UTF-8 and the event named. A refusal
// carries only fixed words and sentences, never a value from the request.
import { createHash } from 'node:crypto';
import { findProvider, type ProviderTable } from '../../providers/index.js';
import type {
  Inspection,
  WebhookProvider,
  WebhookRefusal,
  WebhookRequest,
  WebhooksConfig,
} from '../../providers/webhook-provider.js';
import { header, parsePayload, refuse, utf8Refusal } from '../../providers/webhook-request.js';
import type { NewDelivery } from '../../storage/delivery-repository.js';

export interface ReceivedRequest extends WebhookRequest {
  sourceAddress: string;
  /** Our id for the delivery, should it be stored. */
  newId: string;
}

export type WebhookVerdict =
  | {
      accepted: true;
      delivery: NewDelivery;
      /**
       * Whether the body was parsed already (to check a repository's own secret covers it).
       * When not, the inbox checks it is JSON and reads its repository before storing it (see
       * inspectDelivery), off the request's path.
       */
      inspected: boolean;
    }
  | WebhookRefusal;

/** Headers every provider's deliveries keep, before the provider's own keptHeaders. */
const COMMON_HEADERS = ['content-type', 'user-agent'];

export function receiveWebhook(
  provider: WebhookProvider,
  config: WebhooksConfig,
  request: ReceivedRequest,
): WebhookVerdict {
  const early = provider.refuseEarly(config, request.headers);
  if (early !== undefined) return early;
  const verified = provider.verify(config, request);
  if (!verified.accepted) return verified;
  const unreadable = utf8Refusal(request.rawBody);
  if (unreadable !== undefined) return unreadable;
  // A provider whose body names the event read it from the verified body; the others, a header.
  const event = verified.event ?? provider.claims(request.headers).event;
  if (event === undefined) return refuse(400, 'no-event', `${provider.eventHeader} is missing`);
  const headers: Record<string, string> = {};
  for (const name of [...COMMON_HEADERS, ...provider.keptHeaders]) {
    const value = header(request.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  return {
    accepted: true,
    delivery: {
      id: request.newId,
      provider: provider.name,
      deliveryId: verified.deliveryId ?? bodyDigest(request.rawBody),
      event,
      headers,
      body: request.rawBody.toString('utf8'),
      receivedAt: request.receivedAt.toISOString(),
      sourceAddress: request.sourceAddress,
      repository: verified.inspection?.repository ?? null,
    },
    inspected: verified.inspection !== undefined,
  };
}

/**
 * Inspects a delivery stored without inspection: its repository, or undefined if not JSON.
 * Its provider must be in the table.
 */
export function inspectDelivery(
  providers: ProviderTable,
  delivery: NewDelivery,
): Inspection | undefined {
  const provider = findProvider(providers, delivery.provider);
  if (provider === undefined) throw new Error(`No webhook provider named ${delivery.provider}`);
  const payload = parsePayload(delivery.body, delivery.headers['content-type']);
  return payload === undefined ? undefined : { repository: provider.repositoryOf(payload) };
}

/** A stable id for a provider that sent none: the same body is the same delivery. */
function bodyDigest(rawBody: Buffer): string {
  return `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
}
