// What one forge supplies so storyflow can take its webhooks: a provider folder exports one of
// these, and src/providers/index.ts lists it. Nothing else in the code knows a forge's headers.
import type { Config } from '../config/config.js';
import type { AdapterResult } from './adapter-result.js';

/** The webhook settings every provider is handed (each reads its own part). */
export type WebhooksConfig = Config['webhooks'];

/** Request headers as Node gives them (lower-case names). */
export type WebhookHeaders = Record<string, string | string[] | undefined>;

/** What a provider sees of one webhook request. */
export interface WebhookRequest {
  headers: WebhookHeaders;
  rawBody: Buffer;
  receivedAt: Date;
}

/** Why a request is not taken: 401 not verified; 400 verified, but unusable. */
export interface WebhookRefusal {
  accepted: false;
  status: 400 | 401;
  /** One of a fixed set of words (`bad-signature`, `missing-signature`, …). */
  reason: string;
  /** A fixed sentence, never a value taken from the request. */
  detail: string;
  /** Problem extensions: `byteOffset` for a body that is not UTF-8. */
  extensions?: Record<string, unknown>;
}

/** A verified request: what the verification established about the delivery. */
export interface Verified {
  accepted: true;
  /**
   * The provider's id for the delivery (redeliveries share it), trusting only headers the
   * verification covers where that matters; undefined: the body's digest is the id.
   */
  deliveryId: string | undefined;
  /**
   * The repository the body names, when verifying already parsed it (a repository's own
   * secret matched); undefined: the inbox parses the body off the request's path.
   */
  inspection: Inspection | undefined;
  /**
   * The event, when the provider reads it from the (now authentic) body rather than a header
   * (Azure DevOps' `eventType`); undefined: `claims(headers).event`.
   */
  event?: string;
}

export interface Inspection {
  repository: string | null;
}

export interface WebhookProvider {
  /** `POST /webhooks/<name>`, and the `provider` of its deliveries (not `ci`: that is /ci/events). */
  readonly name: string;
  /** Its name in the API reference ("GitHub"). */
  readonly title: string;
  /** How a request is verified, for the API reference. */
  readonly verifiedBy: string;
  /**
   * The header naming the event (`X-GitHub-Event`); a verified request without it is 400. A
   * provider whose body names the event gives it in `Verified.event` (and refuses a body without
   * one itself); this then names that body field, for the API reference.
   */
  readonly eventHeader: string;
  /** Headers kept with a stored delivery besides content-type and user-agent (never a secret). */
  readonly keptHeaders: readonly string[];
  /**
   * The refusal a request gets from its headers alone (nothing configured, no signature), so
   * its body is never read; undefined when the body decides.
   */
  refuseEarly(config: WebhooksConfig, headers: WebhookHeaders): WebhookRefusal | undefined;
  /**
   * Verifies the raw bytes (constant time, every configured secret) and identifies the delivery.
   * Parses the body only once it is authentic. Never throws.
   */
  verify(config: WebhooksConfig, request: WebhookRequest): WebhookRefusal | Verified;
  /** The event and delivery id a request claims, unverified: only for the audit of refusals. */
  claims(headers: WebhookHeaders): { event: string | undefined; deliveryId: string | undefined };
  /** The repository a parsed body names (`owner/name`), or null. */
  repositoryOf(payload: unknown): string | null;
  /** A stored delivery → normalized events (pure, never throws; see AdapterResult). */
  normalize(event: string, payload: unknown): AdapterResult;
}
