// Bitbucket's webhooks, Cloud and Data Center on one route: X-Hub-Signature (HMAC-SHA256 of the
// raw body) against the global secrets, then each repository's own; X-Event-Key names the
// event; the delivery is X-Request-UUID (Cloud) or X-Request-Id (Data Center). Cloud's body
// names its repository at repository.full_name, Data Center's by project key and slug.
import { valueAt } from '../payload-fields.js';
import type { WebhookHeaders, WebhookProvider, WebhooksConfig } from '../webhook-provider.js';
import { checkRepository, header, refuse } from '../webhook-request.js';
import { dataCenterRepositoryName } from './bitbucket-event-base.js';
import { normalizeBitbucketEvent } from './bitbucket-events.js';
import { verifyBitbucketSignature } from './verify-bitbucket-signature.js';

const BAD_SIGNATURE = refuse(401, 'bad-signature', 'X-Hub-Signature does not match the body');

/** Cloud: repository.full_name; Data Center: PROJECT/slug of repository or of the PR's target. */
function repositoryOf(payload: unknown): string | null {
  const cloud = valueAt(payload, 'repository', 'full_name');
  if (typeof cloud === 'string') return cloud;
  return (
    dataCenterRepositoryName(valueAt(payload, 'repository')) ??
    dataCenterRepositoryName(valueAt(payload, 'pullRequest', 'toRef', 'repository')) ??
    null
  );
}

/**
 * Refused on the headers alone: no secret configured (Bitbucket lets a webhook go without one,
 * storyflow does not take such deliveries), or no X-Hub-Signature.
 */
function refuseEarly(config: WebhooksConfig, headers: WebhookHeaders) {
  if (config.bitbucket.secrets.length === 0 && config.bitbucket.repositories.length === 0) {
    return refuse(
      401,
      'not-configured',
      'No Bitbucket webhook secret is configured (STORYFLOW_BITBUCKET_WEBHOOK_SECRET)',
    );
  }
  if (header(headers, 'x-hub-signature') === undefined) {
    return refuse(401, 'missing-signature', 'X-Hub-Signature is missing');
  }
  return undefined;
}

/** Cloud's X-Request-UUID, else Data Center's X-Request-Id. */
function deliveryIdOf(headers: WebhookHeaders): string | undefined {
  return header(headers, 'x-request-uuid') ?? header(headers, 'x-request-id');
}

export const bitbucketProvider: WebhookProvider = {
  name: 'bitbucket',
  title: 'Bitbucket (Cloud and Data Center)',
  verifiedBy: 'X-Hub-Signature (sha256=) over the raw body',
  eventHeader: 'X-Event-Key',
  keptHeaders: ['x-event-key', 'x-request-uuid', 'x-hook-uuid', 'x-attempt-number', 'x-request-id'],
  refuseEarly,
  /**
   * As GitHub's: the global secrets first, then each repository's own (one HMAC of the body per
   * secret); the body is parsed only once a repository's secret matched, to check that it names
   * a repository that secret is for.
   */
  verify(config, request) {
    const signature = header(request.headers, 'x-hub-signature') ?? '';
    let inspection: { repository: string | null } | undefined;
    if (!verifyBitbucketSignature(config.bitbucket.secrets, request.rawBody, signature)) {
      const matched = config.bitbucket.repositories.filter((entry) =>
        verifyBitbucketSignature(entry.secrets, request.rawBody, signature),
      );
      if (matched.length === 0) return BAD_SIGNATURE;
      const checked = checkRepository(request, repositoryOf, matched, BAD_SIGNATURE);
      if ('refusal' in checked) return checked.refusal;
      inspection = checked.inspection;
    }
    return { accepted: true, deliveryId: deliveryIdOf(request.headers), inspection };
  },
  claims: (headers) => ({
    event: header(headers, 'x-event-key'),
    deliveryId: deliveryIdOf(headers),
  }),
  repositoryOf,
  normalize: normalizeBitbucketEvent,
};
