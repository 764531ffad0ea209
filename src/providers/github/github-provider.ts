// GitHub's webhooks: X-Hub-Signature-256 (HMAC-SHA256 of the raw body) against the global
// secrets, then each repository's own; X-GitHub-Event names the event, X-GitHub-Delivery the
// delivery; the body names its repository at repository.full_name.
import { valueAt } from '../payload-fields.js';
import type { WebhookHeaders, WebhookProvider, WebhooksConfig } from '../webhook-provider.js';
import { checkRepository, header, refuse } from '../webhook-request.js';
import { normalizeGithubEvent } from './github-events.js';
import { verifyGithubSignature } from './verify-github-signature.js';

const BAD_SIGNATURE = refuse(401, 'bad-signature', 'X-Hub-Signature-256 does not match the body');

function repositoryOf(payload: unknown): string | null {
  const name = valueAt(payload, 'repository', 'full_name');
  return typeof name === 'string' ? name : null;
}

/** Refused on the headers alone: no secret configured, or no X-Hub-Signature-256. */
function refuseEarly(config: WebhooksConfig, headers: WebhookHeaders) {
  if (config.github.secrets.length === 0 && config.github.repositories.length === 0) {
    return refuse(
      401,
      'not-configured',
      'No GitHub webhook secret is configured (STORYFLOW_GITHUB_WEBHOOK_SECRET)',
    );
  }
  if (header(headers, 'x-hub-signature-256') === undefined) {
    return refuse(401, 'missing-signature', 'X-Hub-Signature-256 is missing');
  }
  return undefined;
}

export const githubProvider: WebhookProvider = {
  name: 'github',
  title: 'GitHub',
  verifiedBy: 'X-Hub-Signature-256 over the raw body',
  eventHeader: 'X-GitHub-Event',
  keptHeaders: [
    'x-github-event',
    'x-github-delivery',
    'x-github-hook-id',
    'x-github-hook-installation-target-id',
    'x-github-hook-installation-target-type',
  ],
  refuseEarly,
  /**
   * The signature is checked against the global secrets, then against each repository's own
   * (one HMAC of the body per secret). Nothing in the body is read before a signature matched:
   * a repository's own secret is tried whatever the body says, and only once it matched is the
   * (now authentic) body parsed, to check that it names a repository the secret is for.
   */
  verify(config, request) {
    // refuseEarly made sure there is a signature.
    const signature = header(request.headers, 'x-hub-signature-256') ?? '';
    let inspection: { repository: string | null } | undefined;
    if (!verifyGithubSignature(config.github.secrets, request.rawBody, signature)) {
      const matched = config.github.repositories.filter((entry) =>
        verifyGithubSignature(entry.secrets, request.rawBody, signature),
      );
      if (matched.length === 0) return BAD_SIGNATURE;
      const checked = checkRepository(request, repositoryOf, matched, BAD_SIGNATURE);
      if ('refusal' in checked) return checked.refusal;
      inspection = checked.inspection;
    }
    return {
      accepted: true,
      deliveryId: header(request.headers, 'x-github-delivery'),
      inspection,
    };
  },
  claims: (headers) => ({
    event: header(headers, 'x-github-event'),
    deliveryId: header(headers, 'x-github-delivery'),
  }),
  repositoryOf,
  normalize: normalizeGithubEvent,
};
