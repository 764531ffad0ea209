// Rollbacks no person asked for: a deployment that fails or is rolled back after a success
// undoes what the success did; a revert commit undoes what the reverted commit did.
import type { AuditContext } from '../../domain/audit/audit-context.js';
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import { findRevertedCommits } from '../../domain/references/find-story-document.js';
import type { FieldChange, PlanStep } from '../../domain/rules/plan-event.js';
import type { OperationRecord } from '../../storage/operation-repository.js';
import type { Repositories } from '../../storage/store.js';
import type { StoryService } from '../story-service.js';
import { revertChanges } from './revert-changes.js';

export interface AutomaticRollbacks {
  changes: FieldChange[];
  steps: PlanStep[];
  /** Operations wholly undone: to be marked rolled back by the operation that undid them. */
  operations: string[];
}

/** Finds and undoes (inside `tx`) the operations `event` calls off. */
export async function automaticRollbacks(
  tx: Repositories,
  stories: StoryService,
  event: NormalizedEvent,
  operationId: string,
  context: AuditContext,
): Promise<AutomaticRollbacks> {
  const done: AutomaticRollbacks = { changes: [], steps: [], operations: [] };
  const seen = new Set<string>();
  for (const { operation, because } of await targetsOf(tx, event, operationId)) {
    if (seen.has(operation.id)) continue;
    seen.add(operation.id);
    const result = await revertChanges(tx, stories, operation.changes, {
      force: false,
      dryRun: false,
      context: { ...context, reason: `rollback of ${operation.id}: ${because}` },
      action: 'story.rolled_back',
    });
    done.changes.push(...result.changes);
    // Partly undone (a field changed again since) stays applied: a person may force the rest.
    if (result.conflicts.length === 0) done.operations.push(operation.id);
    done.steps.push({
      story: [...new Set(operation.changes.map((change) => change.story))].join(', '),
      rule: 'automatic rollback',
      action: `roll back ${operation.id}`,
      because,
      ...(result.conflicts.length === 0
        ? {}
        : {
            skipped: `left ${result.conflicts.length} field(s) changed since: ${result.conflicts
              .map((conflict) => `${conflict.story}.${conflict.field}`)
              .join(', ')}`,
          }),
    });
  }
  return done;
}

async function targetsOf(
  tx: Repositories,
  event: NormalizedEvent,
  operationId: string,
): Promise<{ operation: OperationRecord; because: string }[]> {
  const targets: { operation: OperationRecord; because: string }[] = [];
  const { environment, sha } = event;
  if (
    (event.kind === 'deployment.failed' || event.kind === 'deployment.rolled_back') &&
    environment !== undefined
  ) {
    const successes = await tx.operations.findAppliedByTrigger(
      'deployment.succeeded',
      event.repository,
      environment,
    );
    // Without a sha, the latest success in the environment is the one called off.
    const matching =
      sha === undefined ? successes.slice(0, 1) : successes.filter((op) => op.shas.includes(sha));
    for (const operation of matching)
      targets.push({ operation, because: `${event.kind} in ${environment}` });
  }
  for (const commit of event.commits ?? []) {
    for (const reverted of findRevertedCommits(commit.message)) {
      for (const operation of await tx.operations.findAppliedBySha(event.repository, reverted)) {
        if (operation.id === operationId) continue;
        targets.push({
          operation,
          because: `commit ${commit.sha.slice(0, 12)} reverts ${reverted.slice(0, 12)}`,
        });
      }
    }
  }
  return targets;
}
