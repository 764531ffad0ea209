// Undoing recorded field changes: each field goes back to its value before, unless it was
// changed again since (a conflict, unless forced). A field that already holds its value before
// needs nothing and is no conflict.
import type { AuditContext } from '../../domain/audit/audit-context.js';
import type { FieldChange } from '../../domain/rules/plan-event.js';
import { jsonEqual } from '../../domain/story/json-equal.js';
import type { JsonValue } from '../../domain/story/json-value.js';
import { parseStoryDocument } from '../../domain/story/story-document.js';
import type { Repositories, StoryRecord } from '../../storage/store.js';
import type { StoryService } from '../story-service.js';
import { STORY_FIELD } from './create-stories.js';

/** How a change of the markdown body is recorded (as the audit log does). */
const BODY_FIELD = 'body';

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

interface RevertOptions {
  force: boolean;
  dryRun: boolean;
  context: AuditContext;
  action: string;
}

/**
 * Works out and (unless `dryRun`) applies the inverse of `changes` inside `tx`. With `force`,
 * conflicting fields are restored too; without it they are left and reported. A story the
 * changes created (`(story)` from null) is deleted; one they deleted is brought back.
 */
export async function revertChanges(
  tx: Repositories,
  stories: StoryService,
  changes: readonly FieldChange[],
  options: RevertOptions,
): Promise<RevertResult> {
  const result: RevertResult = { changes: [], conflicts: [] };
  const byStory = new Map<string, FieldChange[]>();
  for (const change of changes)
    byStory.set(change.story, [...(byStory.get(change.story) ?? []), change]);

  for (const [storyId, storyChanges] of byStory) {
    const current = await tx.stories.getStory(storyId);
    const whole = storyChanges.find((change) => change.field === STORY_FIELD);
    if (whole !== undefined) {
      await revertWholeStory(tx, stories, storyId, whole, current, options, result);
    } else if (current === undefined) {
      for (const change of storyChanges) {
        result.conflicts.push({
          story: storyId,
          field: change.field,
          expected: change.after,
          actual: null,
        });
      }
    } else {
      await revertFields(tx, stories, current, storyChanges, options, result);
    }
  }
  return result;
}

async function revertFields(
  tx: Repositories,
  stories: StoryService,
  current: StoryRecord,
  changes: FieldChange[],
  options: RevertOptions,
  result: RevertResult,
): Promise<void> {
  const { fields, body } = parseStoryDocument(current.document);
  const restore: Record<string, JsonValue> = {};
  for (const change of changes) {
    const actual =
      change.field === 'status'
        ? current.status
        : change.field === BODY_FIELD
          ? body
          : (fields[change.field] ?? null);
    if (jsonEqual(actual, change.before)) continue; // already back where it was
    if (!jsonEqual(actual, change.after)) {
      result.conflicts.push({
        story: current.id,
        field: change.field,
        expected: change.after,
        actual,
      });
      if (!options.force) continue;
    }
    restore[change.field] = change.before as JsonValue;
    result.changes.push({
      story: current.id,
      field: change.field,
      before: actual,
      after: change.before,
    });
  }
  if (options.dryRun) return;
  // The body (changed by a story document in a PR or commit) is no frontmatter field.
  const { [BODY_FIELD]: restoredBody, ...restoredFields } = restore;
  if (Object.keys(restoredFields).length > 0) {
    await stories.applyFieldsIn(tx, current.id, restoredFields, options.action, options.context);
  }
  if (typeof restoredBody === 'string') {
    await stories.updateIn(tx, current.id, { body: restoredBody }, undefined, options.context);
  }
}

/** A creation is undone by deleting the story; a deletion by restoring its document. */
async function revertWholeStory(
  tx: Repositories,
  stories: StoryService,
  storyId: string,
  change: FieldChange,
  current: StoryRecord | undefined,
  options: RevertOptions,
  result: RevertResult,
): Promise<void> {
  const actual = current?.document ?? null;
  if (actual === change.before) return; // already as it was
  if (actual !== change.after) {
    result.conflicts.push({ story: storyId, field: STORY_FIELD, expected: change.after, actual });
    if (!options.force) return;
  }
  result.changes.push({ story: storyId, field: STORY_FIELD, before: actual, after: change.before });
  if (options.dryRun) return;
  if (current !== undefined) await stories.deleteIn(tx, storyId, current.version, options.context);
  if (typeof change.before === 'string') {
    await stories.importIn(tx, [parseStoryDocument(change.before)], options.context);
  }
}
