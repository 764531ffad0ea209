// The storage boundary of the audit log: an append-only, hash-chained sequence of entries.
import type { AuditEntry, AuditEntryInput } from '../domain/audit/audit-entry.js';

export interface AuditQuery {
  /** Entries about this story (target type 'story', target id = story). */
  story?: string;
  /** Matches the actor's id or name, the person (people:) or the forge login (github:ada). */
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  /** ISO-8601, inclusive (compared as text with `occurredAt`). */
  since?: string;
  operationId?: string;
  deliveryId?: string;
  /** Entries of one POST /batch. */
  batchId?: string;
  /** Only entries with seq strictly greater than this (cursor pagination). */
  afterSeq?: number;
  limit: number;
}

export interface AuditRepository {
  /**
   * Appends entries in order, chaining hashes; must be called inside a transaction
   * (store.transaction) so the entries commit with the change they describe. (Called outside
   * one, it opens its own.) Returns the entries as stored, with seq, prevHash and hash.
   */
  append(entries: AuditEntryInput[]): Promise<AuditEntry[]>;
  /** Matching entries ordered by seq ascending. */
  list(query: AuditQuery): Promise<AuditEntry[]>;
  /** Entries with seq > afterSeq in order, for verification in pages. */
  scan(afterSeq: number, limit: number): Promise<AuditEntry[]>;
  /** Where the chain ends now (read without locking); undefined when the head row is missing. */
  head(): Promise<AuditChainHead | undefined>;
}

/** Where the chain ends: the seq and hash of the last appended entry (0 / GENESIS_HASH when empty). */
export interface AuditChainHead {
  seq: number;
  hash: string;
}
