// Operations as people see them: listed, explained, rolled back (and simulated).
import type { AuditContext } from '../../domain/audit/audit-context.js';
import type { Clock } from '../../domain/clock.js';
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import type { IdGenerator } from '../../domain/ids.js';
import { ProblemError } from '../../errors/problem-error.js';
import type { OperationRecord } from '../../storage/operation-repository.js';
import type { Store } from '../../storage/store.js';
import * as listCursor from '../list-cursor.js';
import { readStringPair } from '../list-cursor.js';
import type { StoryService } from '../story-service.js';
import type { AutomationEngine } from './automation-engine.js';
import { revertChanges } from './revert-changes.js';

export interface OperationView {
  id: string | null;
  status: 'applied' | 'rolled_back' | 'simulated';
  trigger: { kind: string; delivery?: string; rule?: string; operation?: string };
  changes: OperationRecord['changes'];
  steps: OperationRecord['steps'];
  comments: OperationRecord['comments'];
  repository: string | null;
  environment: string | null;
  createdAt: string;
  rolledBackAt: string | null;
  rolledBackBy: string | null;
}

export function operationView(
  operation: OperationRecord,
  status?: OperationView['status'],
): OperationView {
  const rules = [
    ...new Set(operation.steps.filter((step) => !step.skipped).map((step) => step.rule)),
  ];
  return {
    id: status === 'simulated' ? null : operation.id,
    status: status ?? operation.status,
    trigger: {
      kind: operation.triggerKind,
      ...(operation.deliveryId === null ? {} : { delivery: operation.deliveryId }),
      ...(rules.length === 0 ? {} : { rule: rules.join(', ') }),
      ...(operation.rollsBack === null ? {} : { operation: operation.rollsBack }),
    },
    changes: operation.changes,
    steps: operation.steps,
    comments: operation.comments,
    repository: operation.repository,
    environment: operation.environment,
    createdAt: operation.createdAt,
    rolledBackAt: operation.rolledBackAt,
    rolledBackBy: operation.rolledBackBy,
  };
}

/** Thrown to roll a simulation's transaction back after computing its operations. */
class SimulationDone extends Error {
  constructor(readonly operations: OperationRecord[]) {
    super('simulation done');
  }
}

export class OperationService {
  constructor(
    private readonly store: Store,
    private readonly stories: StoryService,
    private readonly engine: AutomationEngine,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  /**
   * Newest first, `limit` at a time, of one story and/or one delivery; `cursor` is the previous
   * page's `nextCursor`.
   */
  async list(
    filters: { story?: string | undefined; delivery?: string | undefined },
    limit: number,
    cursor?: string,
  ): Promise<{ items: OperationRecord[]; nextCursor: string | null }> {
    const rows = await this.store.operations.listOperations({
      ...(filters.story === undefined ? {} : { story: filters.story }),
      ...(filters.delivery === undefined ? {} : { delivery: filters.delivery }),
      ...(cursor === undefined ? {} : { before: decodeCursor(cursor) }),
      limit: limit + 1,
    });
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last) : null,
    };
  }

  async get(id: string): Promise<OperationRecord> {
    const operation = await this.store.operations.getOperation(id);
    if (operation === undefined) throw new ProblemError('not-found', `No operation ${id}`);
    return operation;
  }

  /**
   * Restores every field the operation changed, unless it changed again since: then 409 listing
   * each conflict, unless `force`. The rollback is itself an (audited) operation.
   */
  rollback(id: string, force: boolean, context: AuditContext): Promise<OperationRecord> {
    return this.store.transaction(async (tx) => {
      const operation = await tx.operations.getOperation(id);
      if (operation === undefined) throw new ProblemError('not-found', `No operation ${id}`);
      if (operation.status === 'rolled_back') {
        throw new ProblemError(
          'conflict',
          `Operation ${id} was already rolled back by ${operation.rolledBackBy}`,
          {
            rolledBackBy: operation.rolledBackBy,
          },
        );
      }
      const rollbackId = this.ids.next('op');
      const now = this.clock.now().toISOString();
      // Claimed first: of two concurrent rollbacks, the second waits here and then finds it taken.
      if (!(await tx.operations.markRolledBack(id, now, rollbackId))) {
        throw new ProblemError('conflict', `Operation ${id} was rolled back meanwhile`);
      }
      const auditContext = { ...context, operationId: rollbackId, reason: `rollback of ${id}` };
      const check = await revertChanges(tx, this.stories, operation.changes, {
        force,
        dryRun: true,
        context: auditContext,
        action: 'story.rolled_back',
      });
      if (check.conflicts.length > 0 && !force) {
        throw new ProblemError(
          'conflict',
          `${check.conflicts.length} field(s) changed since operation ${id}; roll back with ?force=true to overwrite them`,
          { conflicts: check.conflicts },
        );
      }
      const result = await revertChanges(tx, this.stories, operation.changes, {
        force,
        dryRun: false,
        context: auditContext,
        action: 'story.rolled_back',
      });
      const overwritten = result.conflicts.map((conflict) => `${conflict.story}.${conflict.field}`);
      const rollback: OperationRecord = {
        id: rollbackId,
        status: 'applied',
        triggerKind: 'rollback',
        deliveryId: null,
        eventIndex: null,
        rollsBack: id,
        repository: operation.repository,
        environment: operation.environment,
        changes: result.changes,
        steps: [
          {
            story: [...new Set(operation.changes.map((change) => change.story))].join(', '),
            rule: 'manual rollback',
            action: `roll back ${id}${force ? ' (forced)' : ''}`,
            because: `requested by ${context.actor.name ?? context.actor.id ?? 'someone'}${
              overwritten.length === 0
                ? ''
                : `; overwrote changes since to ${overwritten.join(', ')}`
            }`,
          },
        ],
        comments: [],
        shas: [],
        createdAt: now,
        rolledBackAt: null,
        rolledBackBy: null,
      };
      await tx.operations.insertOperation(rollback);
      return rollback;
    });
  }

  /** What these events would do now, changing nothing (the work runs in a transaction that is rolled back). */
  async simulate(events: NormalizedEvent[], context: AuditContext): Promise<OperationRecord[]> {
    try {
      await this.store.transaction(async (tx) => {
        const operations: OperationRecord[] = [];
        for (const event of events) {
          const operation = await this.engine.apply(tx, event, {
            deliveryId: null,
            eventIndex: null,
            actor: context.actor,
            requestId: context.requestId,
          });
          if (operation !== undefined) operations.push(operation);
        }
        throw new SimulationDone(operations);
      });
    } catch (error) {
      if (error instanceof SimulationDone) return error.operations;
      throw error;
    }
    return [];
  }
}

function encodeCursor(operation: OperationRecord): string {
  return listCursor.encodeCursor([operation.createdAt, operation.id]);
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id] = listCursor.decodeCursor(cursor, readStringPair);
  return { createdAt, id };
}
