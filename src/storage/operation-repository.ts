// Operations: the changes one event (or one rollback) made, kept so they can be explained and undone.
import type { FieldChange, PlanStep } from '../domain/rules/plan-event.js';

export interface OperationRecord {
  id: string;
  status: 'applied' | 'rolled_back';
  /** The event kind that caused it, or `rollback`. */
  triggerKind: string;
  deliveryId: string | null;
  eventIndex: number | null;
  /** For a rollback: the operation it undid. */
  rollsBack: string | null;
  repository: string | null;
  environment: string | null;
  changes: FieldChange[];
  steps: PlanStep[];
  comments: { story: string; text: string; rule: string }[];
  /** Commits the triggering event carried (for undoing on a revert). */
  shas: string[];
  createdAt: string;
  rolledBackAt: string | null;
  rolledBackBy: string | null;
}

export interface OperationQuery {
  story?: string;
  delivery?: string;
  /** Newest first: operations created before this cursor. */
  before?: { createdAt: string; id: string };
  limit: number;
}

export interface OperationRepository {
  insertOperation(operation: OperationRecord): Promise<void>;
  getOperation(id: string): Promise<OperationRecord | undefined>;
  /** The operations a delivery's events recorded (each names its event index). */
  findByDelivery(deliveryId: string): Promise<OperationRecord[]>;
  listOperations(query: OperationQuery): Promise<OperationRecord[]>;
  /** Applied operations caused by an event that carried this commit. */
  findAppliedBySha(repository: string, sha: string): Promise<OperationRecord[]>;
  /** Every operation caused by an event that carried this commit, rolled back or not. */
  findBySha(repository: string, sha: string): Promise<OperationRecord[]>;
  /** Applied operations caused by `kind` events for this repository and environment, newest first. */
  findAppliedByTrigger(
    kind: string,
    repository: string,
    environment: string,
  ): Promise<OperationRecord[]>;
  markRolledBack(id: string, at: string, by: string): Promise<boolean>;
  /** Remembers that events of a delivery were handled without recording an operation. */
  markEventsHandled(deliveryId: string, eventIndexes: readonly number[], at: string): Promise<void>;
  /** The indexes of a delivery's events handled without recording an operation. */
  handledEvents(deliveryId: string): Promise<number[]>;
}
