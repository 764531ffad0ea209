// The hash that chains audit entries: SHA-256 over a canonical JSON form of the entry.
import { createHash } from 'node:crypto';
import { type AuditEntryInput, auditEntryInputOf } from './audit-entry.js';

/** The `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The keys of `{ prevHash, seq, ...AuditEntryInput }`, sorted as canonicalJson sorts them. */
const ENTRY_KEYS = [
  'prevHash',
  'seq',
  'occurredAt',
  'actor',
  'action',
  'targetType',
  'targetId',
  'before',
  'after',
  'requestId',
  'operationId',
  'deliveryId',
  'batchId',
  'reason',
].sort();

/**
 * SHA-256 (lowercase hex) of the canonical JSON of `{ prevHash, seq, ...entry }`: object keys
 * sorted recursively, no whitespace. Only the AuditEntryInput fields of `entry` count, so an
 * AuditEntry can be passed as is.
 */
export function computeAuditHash(prevHash: string, seq: number, entry: AuditEntryInput): string {
  // canonicalJson({ prevHash, seq, ...auditEntryInputOf(entry) }), without building the object.
  const fields = auditEntryInputOf(entry) as unknown as Record<string, unknown>;
  let payload = '{';
  for (const key of ENTRY_KEYS) {
    const value = key === 'prevHash' ? prevHash : key === 'seq' ? seq : fields[key];
    const member = serialize(value);
    if (member === undefined) continue;
    payload += `${payload.length === 1 ? '' : ','}${quotedKey(key)}:${member}`;
  }
  payload += '}';
  return createHash('sha256').update(payload, 'utf8').digest('hex');
}

/**
 * JSON text with object keys sorted (by UTF-16 code units) at every level and no whitespace.
 * Otherwise as JSON.stringify: undefined object members are left out, undefined array
 * elements and non-finite numbers become null.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value) ?? 'null';
}

/** JSON.stringify(key), remembered: the same few keys are quoted for every entry. */
const quotedKeys = new Map<string, string>();

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < 10_000) quotedKeys.set(key, quoted);
  }
  return quoted;
}

function serialize(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'number':
      return JSON.stringify(value);
    case 'bigint':
      throw new TypeError('canonicalJson: bigint values are not JSON');
    case 'object':
      break;
    default:
      return undefined; // undefined, functions, symbols
  }
  if (value === null) return 'null';
  if ('toJSON' in value) {
    const toJSON = (value as { toJSON: unknown }).toJSON;
    if (typeof toJSON === 'function') return serialize(toJSON.call(value));
  }
  if (Array.isArray(value)) {
    let text = '[';
    for (let index = 0; index < value.length; index++) {
      text += `${index === 0 ? '' : ','}${serialize(value[index]) ?? 'null'}`;
    }
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 1) keys.sort();
  let text = '{';
  for (const key of keys) {
    const member = serialize(record[key]);
    if (member === undefined) continue;
    text += `${text.length === 1 ? '' : ','}${quotedKey(key)}:${member}`;
  }
  return `${text}}`;
}
