// The outbox of calls to forges (migrations 0013, 0017, 0018): queued in the transaction that decided them,
// claimed and sent by the outbox sender, one row per (forge, kind, target) updated in place.

export const OUTBOX_STATUSES = ['pending', 'sent', 'dead'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export interface OutboxItem {
  id: string;
  /** The configured forge it goes to (its `name` in `forges:`). */
  forge: string;
  /** What the call does: `comment` (one per PR, edited in place) or `status` (a commit status). */
  kind: string;
  /** What it is about, e.g. `acme/shop#12` or `acme/shop@<sha>`. */
  target: string;
  /** What to send, as the forge client reads it. */
  payload: unknown;
  version: number;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: string;
  leaseUntil: string | null;
  lastError: string | null;
  remoteId: string | null;
  /**
   * A comment create was started and its answer never recorded (the process died, or the answer
   * was lost): the forge may hold a comment storyflow does not know the id of.
   */
  createInDoubt: boolean;
  /** The web address of what the forge created, when it gave one (a pull request's). */
  remoteUrl: string | null;
  createdAt: string;
  updatedAt: string;
  sentAt: string | null;
}

export interface OutboxEnqueue {
  id: string;
  forge: string;
  kind: string;
  target: string;
  payload: unknown;
  at: string;
}

export interface OutboxRepository {
  /**
   * Queues a call, or replaces the queued or sent one for the same (forge, kind, target): the
   * payload is the newest decision, the row is pending again with its attempts reset, and it
   * keeps its id and remote id. Answers the row's id.
   */
  enqueue(item: OutboxEnqueue): Promise<string>;
  /**
   * Takes up to `limit` pending rows due at `now` whose lease (if any) has run out, leasing them
   * until `leaseUntil`. On PostgreSQL call it in a transaction: rows another sender is claiming
   * are skipped. Rows of `exceptForges` (forges the sender is not calling now) are left alone.
   */
  claimDue(
    now: string,
    leaseUntil: string,
    limit: number,
    exceptForges?: readonly string[],
  ): Promise<OutboxItem[]>;
  /**
   * Marks a claimed row sent at `version` (remembering the forge's id of what it created). A row
   * enqueued again since it was claimed stays pending (its newer payload goes next), keeping
   * the remote id.
   */
  markSent(
    id: string,
    version: number,
    remoteId: string | null,
    at: string,
    remoteUrl?: string | null,
  ): Promise<void>;
  /**
   * Records, before a comment create is sent, that its outcome is in doubt until `markSent`
   * records the comment's id (whatever the version: the comment is the row's, not the payload's);
   * false when the forge's answer said it created nothing (a rate limit, a refusal).
   */
  setCreateInDoubt(id: string, inDoubt: boolean): Promise<void>;
  /** Records a failed attempt: pending again at `nextAttemptAt`, or dead. */
  markFailed(
    id: string,
    version: number,
    error: string,
    retry: { nextAttemptAt: string } | 'dead',
    at: string,
  ): Promise<void>;
  /**
   * Gives a claimed row back without using up an attempt: due again at `nextAttemptAt` (a rate
   * limit to wait out, or a forge the sender stopped calling before this row's turn). `error`,
   * when given, becomes its last error. A row enqueued again since it was claimed is only
   * released (its newer payload stays due).
   */
  postpone(
    id: string,
    version: number,
    nextAttemptAt: string,
    error: string | null,
    at: string,
  ): Promise<void>;
  get(id: string): Promise<OutboxItem | undefined>;
  /** The row of `kind` about `target` (whichever forge), the last updated if several. */
  findByTarget(kind: string, target: string): Promise<OutboxItem | undefined>;
  /** Newest first (by last update), optionally of one status; at most `limit`. */
  list(query: { status?: OutboxStatus; limit: number }): Promise<OutboxItem[]>;
  /** Makes a row pending and due at `at` with its attempts reset; false when there is none. */
  retry(id: string, at: string): Promise<boolean>;
}
