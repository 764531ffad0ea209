// What changed between two versions of a story, for the audit log: only changed keys, with
// their old and new values (a key that is absent on one side is null there).
import { jsonEqual } from './json-equal.js';
import type { JsonValue } from './json-value.js';

export interface StoryDiff {
  before: Record<string, JsonValue>;
  after: Record<string, JsonValue>;
}

export function diffStory(
  before: { fields: Record<string, JsonValue>; body: string },
  after: { fields: Record<string, JsonValue>; body: string },
): StoryDiff {
  const diff: StoryDiff = { before: {}, after: {} };
  const keys = new Set([...Object.keys(before.fields), ...Object.keys(after.fields)]);
  for (const key of keys) {
    const old = before.fields[key];
    const next = after.fields[key];
    if (old !== undefined && next !== undefined && jsonEqual(old, next)) continue;
    diff.before[key] = old ?? null;
    diff.after[key] = next ?? null;
  }
  if (before.body !== after.body) {
    diff.before.body = before.body;
    diff.after.body = after.body;
  }
  return diff;
}
