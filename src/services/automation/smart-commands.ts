// Smart commands in commit messages, added to an event's plan: `INT-003 #in_review` moves a
// story as a person would (the workflow's transitions, not automation's forward order) and
// `INT-003 #comment …` comments. A commit seen before (pushed to another branch, merged) has had
// its commands applied already. With a `people:` section, only the people it allows may use them.
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import { findSmartCommands } from '../../domain/references/find-smart-commands.js';
import type { ReferenceConfig } from '../../domain/references/reference-patterns.js';
import type { Plan, PlanStep } from '../../domain/rules/plan-event.js';
import { canTransition, type Workflow } from '../../domain/story/workflow.js';
import type { Repositories } from '../../storage/store.js';

/** A smart command ignored because of who pushed it: its plan step says why. */
export interface RefusedCommand {
  story: string;
  step: PlanStep;
}

/**
 * Adds the smart commands of the event's commits to `plan`. With `refusal` set (who pushed them
 * may not use smart commands, see smartCommandRefusal), each is recorded as a skipped step and
 * answered, and none applies.
 */
export async function addSmartCommands(
  tx: Repositories,
  event: NormalizedEvent,
  named: readonly { record: { id: string; status: string } }[],
  plan: Plan,
  settings: { workflow: Workflow; references: ReferenceConfig },
  refusal?: string,
): Promise<RefusedCommand[]> {
  const refused: RefusedCommand[] = [];
  const known = new Map(named.map(({ record }) => [record.id, record]));
  for (const commit of event.commits ?? []) {
    const commands = findSmartCommands(commit.message, settings.references).filter((command) =>
      known.has(command.id),
    );
    if (commands.length === 0) continue;
    const seenBy = await tx.links.findLinkedStories('commit', event.repository, commit.sha);
    for (const command of commands) {
      const story = known.get(command.id);
      if (story === undefined) continue;
      const step: PlanStep = {
        story: story.id,
        rule: 'smart command',
        action: command.evidence,
        because: `commit ${commit.sha.slice(0, 12)}`,
      };
      plan.steps.push(step);
      if (seenBy.includes(story.id)) {
        step.skipped = 'the commit was seen before; its commands were applied then';
      } else if (refusal !== undefined) {
        step.skipped = refusal;
        refused.push({ story: story.id, step });
      } else if (command.command === 'comment' && command.text !== undefined) {
        plan.comments.push({ story: story.id, text: command.text, rule: 'smart command' });
      } else if (command.command === 'transition' && command.status !== undefined) {
        const skipped = transition(plan, story, command.status, settings.workflow);
        if (skipped !== undefined) step.skipped = skipped;
      }
    }
  }
  return refused;
}

/** Moves the story's planned status; answers why not when the workflow does not allow it. */
function transition(
  plan: Plan,
  story: { id: string; status: string },
  to: string,
  workflow: Workflow,
): string | undefined {
  const planned = plan.changes.find(
    (change) => change.story === story.id && change.field === 'status',
  );
  const from = (planned?.after as string | undefined) ?? story.status;
  if (from === to) return `already ${to}`;
  if (!canTransition(workflow, from, to)) return `the workflow does not allow ${from} → ${to}`;
  if (planned === undefined) {
    plan.changes.push({ story: story.id, field: 'status', before: story.status, after: to });
  } else if (planned.before === to) {
    plan.changes.splice(plan.changes.indexOf(planned), 1); // back where it started
  } else {
    planned.after = to;
  }
  return undefined;
}
