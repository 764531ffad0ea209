// Gitea's and Forgejo's webhooks (one adapter): X-Gitea-Signature, or Forgejo's
// X-Forgejo-Signature (the bare hex HMAC-SHA256 of the raw body) against the global secrets,
// then each repository's own; X-Gitea-Event / X-Forgejo-Event names the event and
// X-Gitea-Delivery / X-Forgejo-Delivery the delivery; the body names its repository at
// repository.full_name (Forgejo's action_run_* events at run.repository.full_name).
import { valueAt } from '../payload-fields.js';
import type { WebhookHeaders, WebhookProvider, WebhooksConfig } from '../webhook-provider.js';
import { checkRepository, header, refuse } from '../webhook-request.js';
import { normalizeGiteaEvent } from './gitea-events.js';
import { verifyGiteaSignature } from './verify-gitea-signature.js';

const BAD_SIGNATURE = refuse(401, 'bad-signature', 'X-Gitea-Signature does not match the body');

function repositoryOf(payload: unknown): string | null {
  const name =
    valueAt(payload, 'repository', 'full_name') ??
    valueAt(payload, 'run', 'repository', 'full_name');
  return typeof name === 'string' ? name : null;
}

/**
 * The signature a request carries. Forgejo sends the same digest as X-Forgejo-Signature and
 * X-Gitea-Signature; when X-Forgejo-Signature is there it is the one checked, so a bad one is not
 * rescued by another header. The X-Hub-Signature-256 both also send is not read: it is the same
 * digest, and one header is one thing to get right.
 */
function signatureOf(headers: WebhookHeaders): string | undefined {
  return header(headers, 'x-forgejo-signature') ?? header(headers, 'x-gitea-signature');
}

/** Refused on the headers alone: no secret configured, or no signature. */
function refuseEarly(config: WebhooksConfig, headers: WebhookHeaders) {
  if (config.gitea.secrets.length === 0 && config.gitea.repositories.length === 0) {
    return refuse(
      401,
      'not-configured',
      'No Gitea webhook secret is configured (STORYFLOW_GITEA_WEBHOOK_SECRET)',
    );
  }
  if (signatureOf(headers) === undefined) {
    return refuse(401, 'missing-signature', 'X-Gitea-Signature is missing');
  }
  return undefined;
}

function claims(headers: WebhookHeaders) {
  return {
    event: header(headers, 'x-forgejo-event') ?? header(headers, 'x-gitea-event'),
    deliveryId: header(headers, 'x-forgejo-delivery') ?? header(headers, 'x-gitea-delivery'),
  };
}

export const giteaProvider: WebhookProvider = {
  name: 'gitea',
  title: 'Gitea and Forgejo',
  verifiedBy: 'X-Gitea-Signature (Forgejo: X-Forgejo-Signature) over the raw body',
  eventHeader: 'X-Gitea-Event',
  keptHeaders: [
    'x-gitea-event',
    'x-gitea-event-type',
    'x-gitea-delivery',
    'x-forgejo-event',
    'x-forgejo-event-type',
    'x-forgejo-delivery',
  ],
  refuseEarly,
  /**
   * As GitHub's: the global secrets, then each repository's own, without reading the body; only
   * once a repository's secret matched is the (now authentic) body parsed, to check it names a
   * repository that secret is for. The delivery id is the UUID of the forge's hook task
   * (X-Forgejo-Delivery, else X-Gitea-Delivery; the same value in both). The forges' own
   * "Replay" makes a new hook task with a new UUID: that is a new delivery here, whose events
   * change nothing a first one already changed. A hook set to the form content type is refused:
   * the forges sign the JSON inside the form, not the bytes they send.
   */
  verify(config, request) {
    // refuseEarly made sure there is a signature.
    const signature = signatureOf(request.headers) ?? '';
    let inspection: { repository: string | null } | undefined;
    if (!verifyGiteaSignature(config.gitea.secrets, request.rawBody, signature)) {
      const matched = config.gitea.repositories.filter((entry) =>
        verifyGiteaSignature(entry.secrets, request.rawBody, signature),
      );
      if (matched.length === 0) return BAD_SIGNATURE;
      const checked = checkRepository(request, repositoryOf, matched, BAD_SIGNATURE);
      if ('refusal' in checked) return checked.refusal;
      inspection = checked.inspection;
    }
    return { accepted: true, deliveryId: claims(request.headers).deliveryId, inspection };
  },
  claims,
  repositoryOf,
  normalize: normalizeGiteaEvent,
};
