// GitLab's webhooks: X-Gitlab-Token, or a Standard Webhooks signature (webhook-id,
// webhook-timestamp, webhook-signature) where a signing secret applies; X-Gitlab-Event names the
// event; the body names its repository at project.path_with_namespace.
import { matchRepositoryGlob } from '../../domain/auth/match-repository-glob.js';
import { valueAt } from '../payload-fields.js';
import type {
  Inspection,
  WebhookHeaders,
  WebhookProvider,
  WebhookRequest,
  WebhooksConfig,
} from '../webhook-provider.js';
import { checkRepository, header, refuse } from '../webhook-request.js';
import { normalizeGitlabEvent } from './gitlab-events.js';
import { verifyGitlabToken } from './verify-gitlab-token.js';
import { verifyStandardWebhook } from './verify-standard-webhook.js';

const BAD_SIGNATURE = refuse(401, 'bad-signature', 'webhook-signature: no matching signature');
const BAD_TOKEN = refuse(401, 'bad-token', 'X-Gitlab-Token does not match');

function repositoryOf(payload: unknown): string | null {
  const name = valueAt(payload, 'project', 'path_with_namespace');
  return typeof name === 'string' ? name : null;
}

/**
 * Refused on the headers alone: nothing configured; no signature where a global signing secret
 * wants one; neither a signature nor a token.
 */
function refuseEarly(config: WebhooksConfig, headers: WebhookHeaders) {
  const { tokens, signingSecrets, repositories: entries } = config.gitlab;
  if (
    tokens.length + signingSecrets.length === 0 &&
    !entries.some((entry) => entry.tokens.length + entry.signingSecrets.length > 0)
  ) {
    return refuse(
      401,
      'not-configured',
      'No GitLab webhook token is configured (STORYFLOW_GITLAB_WEBHOOK_TOKEN)',
    );
  }
  const signing =
    signingSecrets.length > 0 || entries.some((entry) => entry.signingSecrets.length > 0);
  if (header(headers, 'webhook-signature') !== undefined && signing) return undefined;
  if (signingSecrets.length > 0) {
    return refuse(
      401,
      'missing-signature',
      'webhook-signature is missing: a signing secret is configured, so X-Gitlab-Token alone is not accepted',
    );
  }
  if (header(headers, 'x-gitlab-token') === undefined) {
    return refuse(401, 'missing-token', 'X-Gitlab-Token is missing');
  }
  return undefined;
}

export const gitlabProvider: WebhookProvider = {
  name: 'gitlab',
  title: 'GitLab',
  verifiedBy: 'X-Gitlab-Token, or the Standard Webhooks signature when configured',
  eventHeader: 'X-Gitlab-Event',
  keptHeaders: [
    'x-gitlab-event',
    'x-gitlab-event-uuid',
    'x-gitlab-webhook-uuid',
    'x-gitlab-instance',
    'idempotency-key',
    'webhook-id',
    'webhook-timestamp',
  ],
  refuseEarly,
  /**
   * Where a signing secret applies (a global one, or one of the repository's), only a Standard
   * Webhooks signature is accepted and the delivery id is the signed `webhook-id`; otherwise
   * X-Gitlab-Token. A repository's own secrets are tried without reading the body, which is
   * parsed only once it is authentic.
   */
  verify(config, request) {
    const { tokens, signingSecrets, repositories: entries } = config.gitlab;
    const signingEntries = entries.filter((entry) => entry.signingSecrets.length > 0);
    const signature = header(request.headers, 'webhook-signature');
    let inspection: Inspection | undefined;
    if (signature !== undefined && signingSecrets.length + signingEntries.length > 0) {
      // Signed: the signature decides, X-Gitlab-Token is not looked at.
      const global =
        signingSecrets.length > 0 ? verifyStandard(config, signingSecrets, request) : undefined;
      if (global?.ok !== true) {
        const results = signingEntries.map((entry) => ({
          entry,
          result: verifyStandard(config, entry.signingSecrets, request),
        }));
        const matched = results.filter(({ result }) => result.ok).map(({ entry }) => entry);
        if (matched.length === 0) {
          const failure = global ?? results[0]?.result;
          const why =
            failure !== undefined && !failure.ok ? failure.reason : 'no matching signature';
          return refuse(401, 'bad-signature', `webhook-signature: ${why}`);
        }
        const checked = checkRepository(request, repositoryOf, matched, BAD_SIGNATURE);
        if ('refusal' in checked) return checked.refusal;
        inspection = checked.inspection;
      }
      // The signed webhook-id, so no unsigned header can make a replay a new delivery.
      return { accepted: true, deliveryId: header(request.headers, 'webhook-id'), inspection };
    }
    // refuseEarly made sure a token is there and no global signing secret wants more.
    const token = header(request.headers, 'x-gitlab-token') ?? '';
    const matched = verifyGitlabToken(tokens, token)
      ? undefined
      : entries.filter((entry) => verifyGitlabToken(entry.tokens, token));
    if (matched !== undefined && matched.length === 0) return BAD_TOKEN;
    if (matched !== undefined || signingEntries.length > 0) {
      // Which repository the (authentic) body is for decides whether this token covers it,
      // and whether that repository takes signed deliveries only.
      const checked = checkRepository(request, repositoryOf, matched, BAD_TOKEN);
      if ('refusal' in checked) return checked.refusal;
      inspection = checked.inspection;
      const repository = inspection.repository;
      if (
        repository !== null &&
        signingEntries.some((entry) => matchRepositoryGlob(entry.repository, repository))
      ) {
        return refuse(
          401,
          'missing-signature',
          'webhook-signature is missing: this repository has a signing secret, so X-Gitlab-Token alone is not accepted',
        );
      }
    }
    // Idempotency-Key (stable across GitLab's own retries, 17.4+), else the event UUID, ….
    const deliveryId =
      header(request.headers, 'idempotency-key') ??
      header(request.headers, 'x-gitlab-event-uuid') ??
      header(request.headers, 'webhook-id');
    return { accepted: true, deliveryId, inspection };
  },
  claims: (headers) => ({
    event: header(headers, 'x-gitlab-event'),
    deliveryId: header(headers, 'x-gitlab-event-uuid'),
  }),
  repositoryOf,
  normalize: normalizeGitlabEvent,
};

function verifyStandard(
  config: WebhooksConfig,
  secrets: readonly string[],
  request: WebhookRequest,
) {
  return verifyStandardWebhook(
    secrets,
    request.rawBody,
    {
      id: header(request.headers, 'webhook-id'),
      timestamp: header(request.headers, 'webhook-timestamp'),
      signature: header(request.headers, 'webhook-signature'),
    },
    Math.floor(request.receivedAt.getTime() / 1000),
    config.gitlab.timestampToleranceSeconds,
  );
}
