// Azure DevOps service hooks ("Web Hooks" subscriptions). They carry no signature over the body:
// the subscription's basic-auth password, or a secret header it sends, is the credential,
// checked from the headers alone before the body is read. The authentic body then names the
// event (`eventType`) and the event id (`id`, the same on every retry: the delivery id).
import { stringAt } from '../payload-fields.js';
import type { WebhookHeaders, WebhookProvider, WebhooksConfig } from '../webhook-provider.js';
import { header, MALFORMED, parsePayload, refuse, utf8Refusal } from '../webhook-request.js';
import { azureDevopsRepositoryOf } from './azure-devops-event-base.js';
import { normalizeAzureDevopsEvent } from './azure-devops-events.js';
import { basicAuthPassword, matchesAnySecret } from './verify-azure-devops-credential.js';

/** Longest event id and event type taken from a body (Azure DevOps' are a GUID and a short name). */
const MAX_ID_LENGTH = 200;
const MAX_EVENT_LENGTH = 200;

const NO_ID = refuse(400, 'no-delivery-id', 'The body has no event id (a string "id")');
const NO_EVENT = refuse(400, 'no-event', 'The body has no event type (a string "eventType")');

/**
 * The whole check, on the headers alone: nothing configured; no credential; a basic-auth
 * password (any user name) or the configured header that matches no secret.
 */
function refuseEarly(config: WebhooksConfig, headers: WebhookHeaders) {
  const settings = config.azureDevops;
  const secrets = settings?.secrets ?? [];
  const secretHeader = settings?.header ?? null;
  if (secrets.length === 0 && secretHeader === null) {
    return refuse(
      401,
      'not-configured',
      'No Azure DevOps webhook secret is configured (STORYFLOW_AZURE_DEVOPS_WEBHOOK_SECRET)',
    );
  }
  const authorization = header(headers, 'authorization');
  const sent = secretHeader === null ? undefined : header(headers, secretHeader.name.toLowerCase());
  if (authorization === undefined && sent === undefined) {
    return refuse(
      401,
      'missing-credential',
      'No credential: neither basic-auth credentials nor the configured secret header',
    );
  }
  // Both are compared whenever both are there, so timing tells nothing of which one matched.
  const byPassword = matchesAnySecret(secrets, basicAuthPassword(authorization));
  const byHeader = secretHeader !== null && matchesAnySecret(secretHeader.secrets, sent);
  if (!byPassword && !byHeader) {
    return refuse(401, 'bad-credential', 'The credential matches no configured secret');
  }
  return undefined;
}

export const azureDevopsProvider: WebhookProvider = {
  name: 'azure-devops',
  title: 'Azure DevOps',
  verifiedBy:
    'HTTP basic-auth password or a configured secret header (service hooks sign nothing; use HTTPS)',
  eventHeader: 'eventType',
  keptHeaders: [],
  refuseEarly,
  /**
   * The credential again (refuseEarly already checked it; verify never trusts that it ran), then
   * the now authentic body: its `eventType` is the event, its `id` the delivery id. A body that
   * is not JSON, or lacks either, is refused 400 rather than stored under a made-up id.
   */
  verify(config, request) {
    const refused = refuseEarly(config, request.headers);
    if (refused !== undefined) return refused;
    const unreadable = utf8Refusal(request.rawBody);
    if (unreadable !== undefined) return unreadable;
    const payload = parsePayload(request.rawBody, header(request.headers, 'content-type'));
    if (payload === undefined) return MALFORMED;
    const id = stringAt(payload, 'id');
    const event = stringAt(payload, 'eventType');
    if (id === undefined || id.length > MAX_ID_LENGTH) return NO_ID;
    if (event === undefined || event.length > MAX_EVENT_LENGTH) return NO_EVENT;
    return {
      accepted: true,
      deliveryId: id,
      event,
      inspection: { repository: azureDevopsRepositoryOf(payload) },
    };
  },
  // The event and id are in the body, which is never read for a refused request.
  claims: () => ({ event: undefined, deliveryId: undefined }),
  repositoryOf: azureDevopsRepositoryOf,
  normalize: normalizeAzureDevopsEvent,
};
