// The automation engine: the delivery handler that turns each normalized event into one
// operation — stories created from the change, rule-driven field changes, comments, links,
// and automatic rollbacks — applied in the delivery's transaction, once per delivery event.
import type { AuditContext } from '../../domain/audit/audit-context.js';
import type { AuditActor } from '../../domain/audit/audit-entry.js';
import type { Clock } from '../../domain/clock.js';
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import type { IdGenerator } from '../../domain/ids.js';
import { linksForEvent } from '../../domain/links/links-for-event.js';
import { findSmartCommands } from '../../domain/references/find-smart-commands.js';
import { findRevertedCommits } from '../../domain/references/find-story-document.js';
import {
  type FieldChange,
  type Plan,
  type PlanStep,
  planEvent,
} from '../../domain/rules/plan-event.js';
import type { JsonValue } from '../../domain/story/json-value.js';
import { parseStoryDocument } from '../../domain/story/story-document.js';
import { canTransition } from '../../domain/story/workflow.js';
import type { DeliveryRecord } from '../../storage/delivery-repository.js';
import type { OperationRecord } from '../../storage/operation-repository.js';
import type { Repositories } from '../../storage/store.js';
import type { DeliveryHandler, HandlerResult } from '../inbox/delivery-handler.js';
import type { StoryService } from '../story-service.js';
import type { AutomationSettings } from './automation-settings.js';
import { collectReferences } from './collect-references.js';
import { createStoriesFromEvent, STORY_FIELD } from './create-stories.js';
import { revertChanges } from './revert-changes.js';

export interface EventOrigin {
  deliveryId: string | null;
  eventIndex: number | null;
  actor: AuditActor;
  requestId: string | null;
}

export class AutomationEngine implements DeliveryHandler {
  constructor(
    private readonly stories: StoryService,
    private readonly settings: AutomationSettings,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  async handle(
    tx: Repositories,
    delivery: DeliveryRecord,
    events: NormalizedEvent[],
  ): Promise<HandlerResult> {
    const operations: OperationRecord[] = [];
    for (const [index, event] of events.entries()) {
      // Keyed by delivery and event: a redelivered or replayed delivery applies nothing twice.
      const existing = await tx.operations.findByDeliveryEvent(delivery.id, index);
      if (existing !== undefined) {
        operations.push(existing);
        continue;
      }
      const operation = await this.apply(tx, event, {
        deliveryId: delivery.id,
        eventIndex: index,
        actor: { type: 'webhook', id: delivery.deliveryId, name: delivery.provider },
        requestId: null,
      });
      if (operation !== undefined) operations.push(operation);
    }
    return { operations };
  }

  /** Applies one event; answers the operation it recorded, if it changed anything. */
  async apply(
    tx: Repositories,
    event: NormalizedEvent,
    origin: EventOrigin,
  ): Promise<OperationRecord | undefined> {
    const rules = await this.settings.rules(tx);
    const operationId = this.ids.next('op');
    const now = this.clock.now().toISOString();
    const context: AuditContext = {
      actor: origin.actor,
      requestId: origin.requestId,
      operationId,
      deliveryId: origin.deliveryId,
    };

    const created = await createStoriesFromEvent(tx, event, {
      workflow: this.settings.workflow,
      newStoryPrefix: this.settings.newStoryPrefix,
      now,
      context,
    });
    const named = await collectReferences(tx, event, this.settings.references, created.references);
    const plan = planEvent({
      event,
      stories: named.map(({ record, references }) => ({
        story: {
          id: record.id,
          fields: parseStoryDocument(record.document).fields,
          status: record.status,
        },
        references,
      })),
      rules,
      workflow: this.settings.workflow,
      defaultBranches: this.settings.defaultBranches,
    });
    this.addSmartCommands(event, named, plan);
    for (const refused of created.refused) {
      plan.steps.push({
        story: '-',
        rule: 'story document',
        action: 'create or update',
        because: refused.source,
        skipped: refused.reason,
      });
    }

    const changes: FieldChange[] = [...created.changes];
    for (const [storyId, fields] of groupByStory(plan.changes)) {
      const applied = await this.stories.applyFieldsIn(tx, storyId, fields, 'story.automated', {
        ...context,
        reason: reasonFor(plan.steps, storyId),
      });
      if (applied !== undefined)
        changes.push(...plan.changes.filter((change) => change.story === storyId));
    }
    await this.auditCreations(tx, created.changes, context, now);
    await this.auditComments(tx, plan.comments, context, now);

    const rolledBack = await this.automaticRollbacks(tx, event, operationId, context, plan.steps);
    changes.push(...rolledBack.changes);

    await tx.links.upsertLinks(
      named.flatMap(({ record }) =>
        linksForEvent(event).map((link) => ({
          ...link,
          story: record.id,
          repository: event.repository,
          createdAt: now,
          updatedAt: now,
        })),
      ),
    );

    if (changes.length === 0 && plan.comments.length === 0) return undefined;
    const operation: OperationRecord = {
      id: operationId,
      status: 'applied',
      triggerKind: event.kind,
      deliveryId: origin.deliveryId,
      eventIndex: origin.eventIndex,
      rollsBack: null,
      repository: event.repository,
      environment: event.environment ?? null,
      changes,
      steps: plan.steps,
      comments: plan.comments,
      shas: [
        ...(event.commits ?? []).map((commit) => commit.sha),
        ...(event.sha === undefined ? [] : [event.sha]),
      ],
      createdAt: now,
      rolledBackAt: null,
      rolledBackBy: null,
    };
    await tx.operations.insertOperation(operation);
    for (const id of rolledBack.operations)
      await tx.operations.markRolledBack(id, now, operationId);
    return operation;
  }

  /** `INT-003 #in_review` moves a story as a person would; `INT-003 #comment …` comments. */
  private addSmartCommands(
    event: NormalizedEvent,
    named: { record: { id: string; status: string } }[],
    plan: Plan,
  ): void {
    const known = new Map(named.map(({ record }) => [record.id, record]));
    for (const commit of event.commits ?? []) {
      for (const command of findSmartCommands(commit.message, this.settings.references)) {
        const story = known.get(command.id);
        if (story === undefined) continue;
        const step: PlanStep = {
          story: story.id,
          rule: 'smart command',
          action: command.evidence,
          because: `commit ${commit.sha.slice(0, 12)}`,
        };
        if (command.command === 'comment' && command.text !== undefined) {
          plan.comments.push({ story: story.id, text: command.text, rule: 'smart command' });
        } else if (command.command === 'transition' && command.status !== undefined) {
          const planned = plan.changes.find(
            (change) => change.story === story.id && change.field === 'status',
          );
          const from = (planned?.after as string | undefined) ?? story.status;
          if (!canTransition(this.settings.workflow, from, command.status)) {
            step.skipped = `the workflow does not allow ${from} → ${command.status}`;
          } else if (planned !== undefined) {
            planned.after = command.status;
          } else {
            plan.changes.push({
              story: story.id,
              field: 'status',
              before: story.status,
              after: command.status,
            });
          }
        }
        plan.steps.push(step);
      }
    }
  }

  /**
   * A deployment that fails or is rolled back after a success undoes what the success did; a
   * revert commit undoes what the reverted commit did.
   */
  private async automaticRollbacks(
    tx: Repositories,
    event: NormalizedEvent,
    operationId: string,
    context: AuditContext,
    steps: PlanStep[],
  ): Promise<{ changes: FieldChange[]; operations: string[] }> {
    const targets: { operation: OperationRecord; because: string }[] = [];
    if (
      (event.kind === 'deployment.failed' || event.kind === 'deployment.rolled_back') &&
      event.environment
    ) {
      const successes = await tx.operations.findAppliedByTrigger(
        'deployment.succeeded',
        event.repository,
        event.environment,
      );
      const matching =
        event.sha === undefined
          ? successes.slice(0, 1)
          : successes.filter((op) => op.shas.includes(event.sha!));
      for (const operation of matching)
        targets.push({ operation, because: `${event.kind} in ${event.environment}` });
    }
    for (const commit of event.commits ?? []) {
      for (const sha of findRevertedCommits(commit.message)) {
        for (const operation of await tx.operations.findAppliedBySha(event.repository, sha)) {
          if (operation.id !== operationId)
            targets.push({
              operation,
              because: `commit ${commit.sha.slice(0, 12)} reverts ${sha.slice(0, 12)}`,
            });
        }
      }
    }
    const changes: FieldChange[] = [];
    const operations: string[] = [];
    for (const { operation, because } of targets) {
      if (operations.includes(operation.id)) continue;
      const result = await revertChanges(tx, this.stories, operation.changes, {
        force: false,
        dryRun: false,
        context: { ...context, reason: `rollback of ${operation.id}: ${because}` },
        action: 'story.rolled_back',
      });
      changes.push(...result.changes);
      operations.push(operation.id);
      steps.push({
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
    return { changes, operations };
  }

  private async auditCreations(
    tx: Repositories,
    changes: FieldChange[],
    context: AuditContext,
    now: string,
  ) {
    const creations = changes.filter((change) => change.field === STORY_FIELD);
    if (creations.length === 0) return;
    await tx.audit.append(
      creations.map((change) => ({
        occurredAt: now,
        actor: context.actor,
        action: 'story.created',
        targetType: 'story',
        targetId: change.story,
        before: null,
        after: { document: change.after },
        requestId: context.requestId,
        operationId: context.operationId ?? null,
        deliveryId: context.deliveryId ?? null,
        batchId: null,
        reason: 'created from the change',
      })),
    );
  }

  private async auditComments(
    tx: Repositories,
    comments: Plan['comments'],
    context: AuditContext,
    now: string,
  ) {
    if (comments.length === 0) return;
    await tx.audit.append(
      comments.map((comment) => ({
        occurredAt: now,
        actor: context.actor,
        action: 'story.commented',
        targetType: 'story',
        targetId: comment.story,
        before: null,
        after: { comment: comment.text },
        requestId: context.requestId,
        operationId: context.operationId ?? null,
        deliveryId: context.deliveryId ?? null,
        batchId: null,
        reason: comment.text,
      })),
    );
  }
}

function groupByStory(changes: FieldChange[]): Map<string, Record<string, JsonValue>> {
  const groups = new Map<string, Record<string, JsonValue>>();
  for (const change of changes) {
    const fields = groups.get(change.story) ?? {};
    fields[change.field] = change.after as JsonValue;
    groups.set(change.story, fields);
  }
  return groups;
}

function reasonFor(steps: PlanStep[], story: string): string {
  return steps
    .filter((step) => step.story === story && step.skipped === undefined)
    .map((step) => `${step.rule}: ${step.action} (${step.because})`)
    .join('; ');
}
