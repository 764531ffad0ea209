// The automation engine: the delivery handler that turns each normalized event into one
// operation — stories created from the change, rule-driven field changes, comments, links,
// and automatic rollbacks — applied in the delivery's transaction, once per delivery event.

import type { AuditContext } from '../../domain/audit/audit-context.js';
import { auditEntry } from '../../domain/audit/audit-entry.js';
import type { Clock } from '../../domain/clock.js';
import {
  eventSubject,
  factPosition,
  isOlderFact,
  mergeFactPosition,
} from '../../domain/events/event-order.js';
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import type { IdGenerator } from '../../domain/ids.js';
import { linksForEvent } from '../../domain/links/links-for-event.js';
import {
  type FieldChange,
  type Plan,
  type PlanStep,
  planEvent,
  WAITING_FOR_PULL_REQUESTS,
} from '../../domain/rules/plan-event.js';
import type { Rule } from '../../domain/rules/rule.js';
import { jsonEqual } from '../../domain/story/json-equal.js';
import type { JsonValue } from '../../domain/story/json-value.js';
import { parseStoryDocument } from '../../domain/story/story-document.js';
import type { DeliveryRecord } from '../../storage/delivery-repository.js';
import type { OperationRecord } from '../../storage/operation-repository.js';
import type { Repositories } from '../../storage/store.js';
import type { DeliveryHandler, HandlerResult } from '../inbox/delivery-handler.js';
import type { StoryService } from '../story-service.js';
import { automaticRollbacks } from './automatic-rollbacks.js';
import type { AutomationSettings } from './automation-settings.js';
import { collectReferences } from './collect-references.js';
import { createStoriesFromEvent, STORY_FIELD } from './create-stories.js';
import type { EventOrigin } from './event-origin.js';
import { eventPerson } from './event-person.js';
import { openPullRequests } from './open-pull-requests.js';
import { skipOlderFact } from './skip-older-fact.js';
import { addSmartCommands, type RefusedCommand } from './smart-commands.js';

export class AutomationEngine implements DeliveryHandler {
  constructor(
    private readonly stories: StoryService,
    private readonly settings: AutomationSettings,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    /** Told of every applied event and the stories it named, in its transaction (the outbox). */
    private readonly feedback?: {
      afterEventIn(tx: Repositories, event: NormalizedEvent, storyIds: string[]): Promise<void>;
    },
  ) {}

  async handle(
    tx: Repositories,
    delivery: DeliveryRecord,
    events: NormalizedEvent[],
  ): Promise<HandlerResult> {
    const operations: OperationRecord[] = [];
    // What earlier attempts or replays of this delivery did, read once for all its events.
    const recorded = new Map(
      (await tx.operations.findByDelivery(delivery.id)).map((op) => [op.eventIndex, op]),
    );
    const handledBefore = new Set(await tx.operations.handledEvents(delivery.id));
    const handledNow: number[] = [];
    let rules: Rule[] | undefined;
    for (const [index, event] of events.entries()) {
      // Keyed by delivery and event: a redelivered or replayed delivery applies nothing twice.
      const existing = recorded.get(index);
      if (existing !== undefined) {
        operations.push(existing);
        continue;
      }
      // Handled before without changing anything: applying it now could act on a newer state.
      if (handledBefore.has(index)) continue;
      rules ??= await this.settings.rules(tx);
      const operation = await this.apply(
        tx,
        event,
        {
          deliveryId: delivery.id,
          eventIndex: index,
          actor: { type: 'webhook', id: delivery.deliveryId, name: delivery.provider },
          requestId: null,
          provider: delivery.provider,
        },
        rules,
      );
      if (operation !== undefined) operations.push(operation);
      else handledNow.push(index);
    }
    await tx.operations.markEventsHandled(delivery.id, handledNow, this.clock.now().toISOString());
    return { operations };
  }

  /** Applies one event; answers the operation it recorded, if it changed anything. */
  async apply(
    tx: Repositories,
    event: NormalizedEvent,
    origin: EventOrigin,
    /** The rules in force, when the caller read them already (one read per delivery). */
    rulesInForce?: Rule[],
  ): Promise<OperationRecord | undefined> {
    const rules = rulesInForce ?? (await this.settings.rules(tx));
    const operationId = this.ids.next('op');
    const now = this.clock.now().toISOString();
    const who = eventPerson(event, origin, this.settings);
    const context: AuditContext = {
      actor: who.actor,
      requestId: origin.requestId,
      operationId,
      deliveryId: origin.deliveryId,
      ...lifecyclePerson(who.actor.person ?? event.actor),
    };

    // A late delivery of an older fact about the same deployment, pipeline or PR changes nothing.
    const subject = eventSubject(event);
    if (subject !== undefined) {
      const position = factPosition(event);
      const latest = await tx.links.lockLatestFact(subject);
      if (latest !== undefined && isOlderFact(position, latest)) {
        return skipOlderFact(tx, event, {
          origin,
          subject,
          position,
          latest,
          operationId,
          context,
          now,
          references: this.settings,
        });
      }
      await tx.links.recordLatestFact(subject, {
        ...mergeFactPosition(position, latest),
        kind: event.kind,
        deliveryId: origin.deliveryId,
        eventIndex: origin.eventIndex,
        appliedAt: now,
      });
    }

    const created = await createStoriesFromEvent(tx, event, {
      workflow: this.settings.workflow,
      newStoryPrefix: this.settings.newStoryPrefix,
      now,
      context,
    });
    const named = await collectReferences(
      tx,
      event,
      this.settings.references,
      created.references,
      this.settings.defaultBranches,
    );
    const open = await openPullRequests(
      tx,
      event,
      rules,
      named.map(({ record }) => record.id),
    );
    const plan = planEvent({
      event,
      stories: named.map(({ record, references }) => ({
        story: {
          id: record.id,
          fields: parseStoryDocument(record.document).fields,
          status: record.status,
        },
        references,
        openPullRequests: open.get(record.id) ?? [],
      })),
      rules,
      workflow: this.settings.workflow,
      defaultBranches: this.settings.defaultBranches,
    });
    const refused = await addSmartCommands(
      tx,
      event,
      named,
      plan,
      this.settings,
      who.smartCommandRefusal,
    );
    for (const refused of created.refused) {
      plan.steps.push({
        story: '-',
        rule: 'story document',
        action: 'create or update',
        because: refused.source,
        skipped: refused.reason,
      });
    }

    const changes: FieldChange[] = created.changes.map((change) => ({ ...change }));
    await this.auditCreations(tx, created.changes, context, now);
    // A story replaced by the version of its document in a commit may have changed status.
    await this.stories.statusChangedIn(
      tx,
      created.changes
        .filter((change) => change.field === 'status' && change.before !== null)
        .map((change) => change.story),
    );
    for (const [storyId, fields] of groupByStory(plan.changes)) {
      const applied = await this.stories.applyFieldsIn(tx, storyId, fields, 'story.automated', {
        ...context,
        reason: reasonFor(plan.steps, storyId),
      });
      if (applied === undefined) continue;
      for (const change of plan.changes.filter((planned) => planned.story === storyId))
        mergeChange(changes, change);
      // A story this operation created is undone by deleting it as the operation left it.
      const creation = changes.find(
        (change) => change.story === storyId && change.field === STORY_FIELD,
      );
      if (creation !== undefined && creation.before === null)
        creation.after = applied.after.document;
    }
    await this.auditComments(tx, plan.comments, context, now);
    await this.auditRefusedCommands(tx, refused, context, now);

    const rolledBack = await automaticRollbacks(tx, this.stories, event, operationId, context);
    for (const change of rolledBack.changes) mergeChange(changes, change);
    plan.steps.push(...rolledBack.steps);

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

    await this.feedback?.afterEventIn(
      tx,
      event,
      named.map(({ record }) => record.id),
    );

    // A rollback that conflicts everywhere is recorded too, so its steps say why nothing moved;
    // so is a smart command ignored because of who pushed it, and a merge that leaves a story
    // waiting for its other PRs.
    if (
      changes.length === 0 &&
      plan.comments.length === 0 &&
      rolledBack.operations.length === 0 &&
      rolledBack.steps.length === 0 &&
      refused.length === 0 &&
      !plan.steps.some((step) => step.skipped?.startsWith(WAITING_FOR_PULL_REQUESTS))
    ) {
      return undefined;
    }
    const operation: OperationRecord = {
      id: operationId,
      status: 'applied',
      triggerKind: event.kind,
      deliveryId: origin.deliveryId,
      eventIndex: origin.eventIndex,
      rollsBack: rolledBack.operations.length === 1 ? (rolledBack.operations[0] ?? null) : null,
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

  private async auditCreations(
    tx: Repositories,
    changes: FieldChange[],
    context: AuditContext,
    now: string,
  ) {
    const creations = changes.filter((change) => change.field === STORY_FIELD);
    if (creations.length === 0) return;
    await tx.audit.append(
      creations.map((change) =>
        auditEntry({
          occurredAt: now,
          actor: context.actor,
          action: 'story.created',
          targetType: 'story',
          targetId: change.story,
          after: { document: change.after },
          requestId: context.requestId,
          operationId: context.operationId,
          deliveryId: context.deliveryId,
          reason: 'created from the change',
        }),
      ),
    );
  }

  /** One `story.smart_command_refused` entry per smart command ignored because of who pushed it. */
  private async auditRefusedCommands(
    tx: Repositories,
    refused: RefusedCommand[],
    context: AuditContext,
    now: string,
  ) {
    if (refused.length === 0) return;
    await tx.audit.append(
      refused.map(({ story, step }) =>
        auditEntry({
          occurredAt: now,
          actor: context.actor,
          action: 'story.smart_command_refused',
          targetType: 'story',
          targetId: story,
          // A command is one line of a commit message: bounded like the other stored texts.
          after: { command: step.action.slice(0, 1024), commit: step.because },
          requestId: context.requestId,
          operationId: context.operationId,
          deliveryId: context.deliveryId,
          reason: step.skipped ?? null,
        }),
      ),
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
      comments.map((comment) =>
        auditEntry({
          occurredAt: now,
          actor: context.actor,
          action: 'story.commented',
          targetType: 'story',
          targetId: comment.story,
          after: { comment: comment.text },
          requestId: context.requestId,
          operationId: context.operationId,
          deliveryId: context.deliveryId,
          reason: comment.text,
        }),
      ),
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

/**
 * Adds `change` to an operation's changes: one entry per story and field, from the value before
 * the operation to the value after it (dropped when they end up equal).
 */
export function mergeChange(changes: FieldChange[], change: FieldChange): void {
  const existing = changes.find(
    (candidate) => candidate.story === change.story && candidate.field === change.field,
  );
  if (existing === undefined) {
    changes.push({ ...change });
    return;
  }
  existing.after = change.after;
  if (existing.field !== STORY_FIELD && jsonEqual(existing.before, existing.after))
    changes.splice(changes.indexOf(existing), 1);
}

function reasonFor(steps: PlanStep[], story: string): string {
  return steps
    .filter((step) => step.story === story && step.skipped === undefined)
    .map((step) => `${step.rule}: ${step.action} (${step.because})`)
    .join('; ');
}

/** The person a lifecycle line names for an event: its mapped person, else its forge login. */
function lifecyclePerson(name: string | undefined): { personName?: string } {
  return name === undefined || name === '' ? {} : { personName: name };
}
