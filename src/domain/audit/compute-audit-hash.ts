// The hash that chains audit entries: SHA-256 over a canonical JSON form of the entry.
import { createHash } from 'node:crypto';
import { type AuditEntryInput, auditEntryInputOf } from './audit-entry.js';

/** The `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * SHA-256 (lowercase hex) of the canonical JSON of `{ prevHash, seq, ...entry }`: object keys
 * sorted recursively, no whitespace. Only the AuditEntryInput fields of `entry` count, so an
 * AuditEntry can be passed as is.
 */
export function computeAuditHash(prevHash: string, seq: number, entry: AuditEntryInput): string {
  const payload = canonicalJson({ prevHash, seq, ...auditEntryInputOf(entry) });
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

function serialize(value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && 'toJSON' in value) {
    const toJSON = (value as { toJSON: unknown }).toJSON;
    if (typeof toJSON === 'function') return serialize(toJSON.call(value));
  }
  if (value === null) return 'null';
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
  if (Array.isArray(value)) {
    return `[${value.map((item) => serialize(item) ?? 'null').join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = serialize(record[key]);
    if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
  }
  return `{${members.join(',')}}`;
}
