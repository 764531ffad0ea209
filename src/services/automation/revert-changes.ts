// Undoing recorded field changes: each field goes back to its value before, unless it was
// changed again since (a conflict, unless forced).
import type { AuditContext } from '../../domain/audit/audit-context.js';
import type { FieldChange } from '../../domain/rules/plan-event.js';
import { jsonEqual } from '../../domain/story/json-equal.js';
import type { JsonValue } from '../../domain/story/json-value.js';
import { parseStoryDocument } from '../../domain/story/story-document.js';
import type { Repositories } from '../../storage/store.js';
import type { StoryService } from '../story-service.js';
import { STORY_FIELD } from './create-stories.js';

export interface RevertConflict {
  story: string;
  field: string;
  /** The value the change left. */
  expected: JsonValue | null;
  /** What the field holds now (null when the story is gone). */
  actual: JsonValue | null;
}

export interface RevertResult {
  /** The changes the revert made (the inverse of the reverted ones). */
  changes: FieldChange[];
  conflicts: RevertConflict[];
}

/**
 * Works out and (unless `dryRun`) applies the inverse of `changes` inside `tx`. With `force`,
 * conflicting fields are restored too; without it they are left and reported.
 */
export async function revertChanges(
  tx: Repositories,
  stories: StoryService,
  changes: readonly FieldChange[],
  options: { force: boolean; dryRun: boolean; context: AuditContext; action: string },
): Promise<RevertResult> {
  const result: RevertResult = { changes: [], conflicts: [] };
  const byStory = new Map<string, FieldChange[]>();
  for (const change of changes)
    byStory.set(change.story, [...(byStory.get(change.story) ?? []), change]);

  for (const [storyId, storyChanges] of byStory) {
    const current = await tx.stories.getStory(storyId);
    if (current === undefined) {
      for (const change of storyChanges) {
        if (change.field === STORY_FIELD && change.before === null) continue; // already gone
        result.conflicts.push({
          story: storyId,
          field: change.field,
          expected: change.after,
          actual: null,
        });
      }
      continue;
    }
    const creation = storyChanges.find(
      (change) => change.field === STORY_FIELD && change.before === null,
    );
    if (creation !== undefined) {
      if (current.document !== creation.after && !options.force) {
        result.conflicts.push({
          story: storyId,
          field: STORY_FIELD,
          expected: creation.after,
          actual: current.document,
        });
        continue;
      }
      if (!options.dryRun) await stories.deleteIn(tx, storyId, current.version, options.context);
      result.changes.push({
        story: storyId,
        field: STORY_FIELD,
        before: current.document,
        after: null,
      });
      continue;
    }
    const { fields } = parseStoryDocument(current.document);
    const restore: Record<string, JsonValue> = {};
    for (const change of storyChanges) {
      const actual = change.field === 'status' ? current.status : (fields[change.field] ?? null);
      if (!jsonEqual(actual, change.after) && !options.force) {
        result.conflicts.push({
          story: storyId,
          field: change.field,
          expected: change.after,
          actual,
        });
        continue;
      }
      if (jsonEqual(actual, change.before)) continue;
      restore[change.field] = change.before as JsonValue;
      result.changes.push({
        story: storyId,
        field: change.field,
        before: actual,
        after: change.before,
      });
    }
    if (!options.dryRun && Object.keys(restore).length > 0) {
      await stories.applyFieldsIn(tx, storyId, restore, options.action, options.context);
    }
  }
  return result;
}
