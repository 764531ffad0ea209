// The audit log's entries: who did what to which target, chained by hashes so edits show.
import type { JsonValue } from '../story/json-value.js';

export type AuditActorType = 'token' | 'oidc' | 'webhook' | 'system' | 'anonymous';

/** Token id + name, OIDC subject, webhook delivery id, or 'system'. */
export interface AuditActor {
  type: AuditActorType;
  id: string | null;
  name: string | null;
  /**
   * The configured person (`people:`) behind a webhook's change, by name. Left out, not null,
   * when unknown: entries written before people existed hash as they did.
   */
  person?: string;
  /** The forge account that caused a webhook's change, `<provider>:<login>`; left out when unknown. */
  login?: string;
}

/** `actor` with only the fields it has: person and login are left out when absent or null. */
function actorFields(actor: {
  type: AuditActorType;
  id: string | null;
  name: string | null;
  person?: string | null | undefined;
  login?: string | null | undefined;
}): AuditActor {
  return {
    type: actor.type,
    id: actor.id,
    name: actor.name,
    ...(actor.person == null ? {} : { person: actor.person }),
    ...(actor.login == null ? {} : { login: actor.login }),
  };
}

/** An actor as read back from storage, whose person and login columns may be null. */
export function storedActor(actor: Parameters<typeof actorFields>[0]): AuditActor {
  return actorFields(actor);
}

/** What a caller records; the repository assigns `seq`, `prevHash` and `hash`. */
export interface AuditEntryInput {
  /** ISO-8601, from the injected clock. */
  occurredAt: string;
  actor: AuditActor;
  /** e.g. 'story.created', 'story.updated', 'story.transitioned', 'token.revoked', 'webhook.rejected'. */
  action: string;
  /** 'story' | 'token' | 'rule' | 'delivery' | … */
  targetType: string;
  targetId: string | null;
  before: JsonValue | null;
  after: JsonValue | null;
  requestId: string | null;
  operationId: string | null;
  deliveryId: string | null;
  batchId: string | null;
  reason: string | null;
}

/** A stored entry: `hash` covers `prevHash`, `seq` and every input field. */
export interface AuditEntry extends AuditEntryInput {
  seq: number;
  prevHash: string;
  hash: string;
}

/** What `auditEntry` needs; every field it may leave out defaults to null. */
export type AuditEntryFields = Pick<
  AuditEntryInput,
  'occurredAt' | 'actor' | 'action' | 'targetType'
> & {
  [K in Exclude<keyof AuditEntryInput, 'occurredAt' | 'actor' | 'action' | 'targetType'>]?:
    | AuditEntryInput[K]
    | undefined;
};

/**
 * The one way to write an entry: the fields it has, null for the rest (undefined counts as left
 * out, so `context.operationId` may be passed as is).
 *
 * @example
 * auditEntry({ occurredAt: now, actor, action: 'delivery.replayed', targetType: 'delivery', targetId: id })
 */
export function auditEntry(fields: AuditEntryFields): AuditEntryInput {
  return {
    occurredAt: fields.occurredAt,
    actor: fields.actor,
    action: fields.action,
    targetType: fields.targetType,
    targetId: fields.targetId ?? null,
    before: fields.before ?? null,
    after: fields.after ?? null,
    requestId: fields.requestId ?? null,
    operationId: fields.operationId ?? null,
    deliveryId: fields.deliveryId ?? null,
    batchId: fields.batchId ?? null,
    reason: fields.reason ?? null,
  };
}

/** The fields of an AuditEntryInput, and nothing else (e.g. drops seq/hash of an AuditEntry). */
export function auditEntryInputOf(entry: AuditEntryInput): AuditEntryInput {
  return {
    occurredAt: entry.occurredAt,
    actor: actorFields(entry.actor),
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    before: entry.before,
    after: entry.after,
    requestId: entry.requestId,
    operationId: entry.operationId,
    deliveryId: entry.deliveryId,
    batchId: entry.batchId,
    reason: entry.reason,
  };
}

/**
 * The entry exactly as it reads back from storage, so a hash computed over it can be recomputed
 * from the stored row: text fields become well-formed UTF-8 without NUL characters (lone
 * surrogates and U+0000 become U+FFFD, which both databases store as is), and `before`/`after`
 * go through a JSON round trip (undefined members dropped, -0 and non-finite numbers as JSON
 * writes them).
 */
export function normalizeAuditEntryInput(entry: AuditEntryInput): AuditEntryInput {
  return {
    occurredAt: storableText(entry.occurredAt),
    actor: actorFields({
      type: entry.actor.type,
      id: storableTextOrNull(entry.actor.id),
      name: storableTextOrNull(entry.actor.name),
      person: storableTextOrNull(entry.actor.person),
      login: storableTextOrNull(entry.actor.login),
    }),
    action: storableText(entry.action),
    targetType: storableText(entry.targetType),
    targetId: storableTextOrNull(entry.targetId),
    before: jsonRoundTrip(entry.before),
    after: jsonRoundTrip(entry.after),
    requestId: storableTextOrNull(entry.requestId),
    operationId: storableTextOrNull(entry.operationId),
    deliveryId: storableTextOrNull(entry.deliveryId),
    batchId: storableTextOrNull(entry.batchId),
    reason: storableTextOrNull(entry.reason),
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function storableText(text: string): string {
  return String(text).replace(LONE_SURROGATE, '\uFFFD').replaceAll('\u0000', '\uFFFD');
}

function storableTextOrNull(text: string | null | undefined): string | null {
  return text === null || text === undefined ? null : storableText(text);
}

function jsonRoundTrip(value: JsonValue | null | undefined): JsonValue | null {
  if (value === null || value === undefined) return null;
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}
