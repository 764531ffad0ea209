// Streaming verification of the audit chain: feed entries in seq order, get the first problem.
import type { AuditEntry } from './audit-entry.js';
import { computeAuditHash, GENESIS_HASH } from './compute-audit-hash.js';

export type AuditChainBreakReason = 'content-altered' | 'chain-broken' | 'sequence-gap';

export interface AuditChainBreak {
  /** The seq of the entry where the chain stops verifying. */
  seq: number;
  reason: AuditChainBreakReason;
  message: string;
}

export interface AuditChainVerifier {
  /** Checks the next entry against the previous one; undefined when it is intact. */
  check(entry: AuditEntry): AuditChainBreak | undefined;
  /** Entries passed to check() so far. */
  readonly checked: number;
  /** Hash of the last entry checked (GENESIS_HASH before the first). */
  readonly lastHash: string;
  /** Seq of the last entry checked (0 before the first). */
  readonly lastSeq: number;
}

export interface AuditChainVerifierStart {
  /** Seq of the entry before the first one to be checked (default 0: the chain's start). */
  seq: number;
  /** Hash of that entry (default GENESIS_HASH). */
  hash: string;
}

/**
 * A verifier for entries fed in seq order, from the start of the chain or from `start`.
 * Each entry must have the next seq ('sequence-gap'), point at the previous entry's hash
 * ('chain-broken') and hash to its own `hash` ('content-altered'), checked in that order.
 * After a break it carries on from the entry it was given, so each later break is reported
 * on its own rather than as a cascade.
 */
export function createAuditChainVerifier(
  start: AuditChainVerifierStart = { seq: 0, hash: GENESIS_HASH },
): AuditChainVerifier {
  let checked = 0;
  let lastSeq = start.seq;
  let lastHash = start.hash;

  const inspect = (entry: AuditEntry): AuditChainBreak | undefined => {
    const expectedSeq = lastSeq + 1;
    if (entry.seq !== expectedSeq) {
      const message =
        Number.isInteger(entry.seq) && entry.seq > expectedSeq
          ? `Entry ${entry.seq} follows entry ${lastSeq}: ${describeRange(expectedSeq, entry.seq - 1)} missing`
          : `Entry ${entry.seq} is out of order: expected seq ${expectedSeq} after ${lastSeq}`;
      return { seq: entry.seq, reason: 'sequence-gap', message };
    }
    if (entry.prevHash !== lastHash) {
      return {
        seq: entry.seq,
        reason: 'chain-broken',
        message: `Entry ${entry.seq} has prevHash ${entry.prevHash} but entry ${lastSeq} hashes to ${lastHash}`,
      };
    }
    const recomputed = computeAuditHash(entry.prevHash, entry.seq, entry);
    if (recomputed !== entry.hash) {
      return {
        seq: entry.seq,
        reason: 'content-altered',
        message: `Entry ${entry.seq} was altered: its content hashes to ${recomputed}, not its stored hash ${entry.hash}`,
      };
    }
    return undefined;
  };

  return {
    check(entry) {
      const problem = inspect(entry);
      checked += 1;
      lastSeq = entry.seq;
      lastHash = entry.hash;
      return problem;
    },
    get checked() {
      return checked;
    },
    get lastHash() {
      return lastHash;
    },
    get lastSeq() {
      return lastSeq;
    },
  };
}

function describeRange(from: number, to: number): string {
  return from === to ? `entry ${from} is` : `entries ${from}..${to} are`;
}
