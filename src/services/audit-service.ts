// Audit log use cases: paged listing and verification of the hash chain.
import type { AuditEntry } from '../domain/audit/audit-entry.js';
import { GENESIS_HASH } from '../domain/audit/compute-audit-hash.js';
import {
  type AuditChainBreak,
  createAuditChainVerifier,
} from '../domain/audit/verify-audit-chain.js';
import { ProblemError } from '../errors/problem-error.js';
import type { AuditQuery } from '../storage/audit-repository.js';
import type { Store } from '../storage/store.js';

export interface AuditListInput extends Omit<AuditQuery, 'afterSeq' | 'limit'> {
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Page size (default 50). */
  limit?: number;
}

export interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}

export interface AuditVerification {
  /** True when every entry and the chain head check out. */
  ok: boolean;
  /** Entries verified intact (up to the first break). */
  checked: number;
  /** Seq of the last intact entry (0 when none). */
  lastSeq: number;
  firstBreak?: AuditChainBreak;
}

export const AUDIT_DEFAULT_PAGE_SIZE = 50;
/** Entries read per query while verifying. */
export const AUDIT_VERIFY_PAGE_SIZE = 1000;

export class AuditService {
  constructor(private readonly store: Store) {}

  async list(input: AuditListInput): Promise<AuditPage> {
    const { cursor, limit: requested, ...filters } = input;
    const limit = requested ?? AUDIT_DEFAULT_PAGE_SIZE;
    const entries = await this.store.audit.list({
      ...filters,
      afterSeq: cursor === undefined ? undefined : decodeAuditCursor(cursor),
      limit: limit + 1,
    });
    const items = entries.slice(0, limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor: entries.length > limit && last !== undefined ? encodeAuditCursor(last.seq) : null,
    };
  }

  /** The seq of the last entry appended (0 when the log is empty), read without locking. */
  async headSeq(): Promise<number> {
    return (await this.store.audit.head())?.seq ?? 0;
  }

  /**
   * Walks the whole log in seq order and stops at the first break; then checks the chain head.
   * The head is read before the walk, so entries appended meanwhile are no false alarm: the
   * entry at the head's seq must carry the head's hash, and entries beyond the head must be
   * covered by the head read again after the walk (otherwise they were added behind its back).
   */
  async verify(): Promise<AuditVerification> {
    const headBefore = await this.store.audit.head();
    const verifier = createAuditChainVerifier();
    let intactSeq = 0;
    let hashAtHead = headBefore?.seq === 0 ? GENESIS_HASH : undefined;

    for (;;) {
      const page = await this.store.audit.scan(verifier.lastSeq, AUDIT_VERIFY_PAGE_SIZE);
      for (const entry of page) {
        const firstBreak = verifier.check(entry);
        if (firstBreak !== undefined) {
          return { ok: false, checked: verifier.checked - 1, lastSeq: intactSeq, firstBreak };
        }
        intactSeq = entry.seq;
        if (entry.seq === headBefore?.seq) hashAtHead = entry.hash;
      }
      if (page.length < AUDIT_VERIFY_PAGE_SIZE) break;
    }

    const checked = verifier.checked;
    const broken = (message: string, seq: number): AuditVerification => ({
      ok: false,
      checked,
      lastSeq: intactSeq,
      firstBreak: { seq, reason: 'chain-broken', message },
    });

    if (headBefore === undefined) {
      return broken('The audit chain head row (audit_chain_head id = 1) is missing', intactSeq + 1);
    }
    if (intactSeq < headBefore.seq) {
      return broken(
        `The chain head is at seq ${headBefore.seq} but the log ends at seq ${intactSeq}: ` +
          `${intactSeq + 1 === headBefore.seq ? `entry ${headBefore.seq} is` : `entries ${intactSeq + 1}..${headBefore.seq} are`} missing`,
        intactSeq + 1,
      );
    }
    if (hashAtHead !== headBefore.hash) {
      return broken(
        `The chain head records hash ${headBefore.hash} for seq ${headBefore.seq}, ` +
          `but entry ${headBefore.seq} hashes to ${hashAtHead ?? '(nothing)'}`,
        headBefore.seq,
      );
    }
    if (intactSeq > headBefore.seq) {
      const headAfter = await this.store.audit.head();
      if (headAfter === undefined || intactSeq > headAfter.seq) {
        return broken(
          `The log continues past the chain head (seq ${headAfter?.seq ?? headBefore.seq}) ` +
            `up to seq ${intactSeq}: entries were added without advancing the head`,
          (headAfter?.seq ?? headBefore.seq) + 1,
        );
      }
    }
    return { ok: true, checked, lastSeq: intactSeq };
  }
}

/** The opaque cursor after `seq`: base64url of its decimal digits. */
export function encodeAuditCursor(seq: number): string {
  return Buffer.from(String(seq), 'utf8').toString('base64url');
}

/** The seq inside a cursor from encodeAuditCursor; a ProblemError('validation') otherwise. */
export function decodeAuditCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const seq = Number(text);
  if (
    /^(0|[1-9][0-9]*)$/.test(text) &&
    Number.isSafeInteger(seq) &&
    encodeAuditCursor(seq) === cursor
  ) {
    return seq;
  }
  const message = 'not a cursor returned by this API';
  throw new ProblemError('validation', `cursor: ${message}`, {
    errors: [{ field: 'cursor', message }],
  });
}
