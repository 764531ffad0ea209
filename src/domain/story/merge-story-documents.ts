// Three-way merge of a story document (docs/git-sync.md, "Conflicts"): the repository's file
// ("theirs") changed and so did storyflow's copy ("ours") since the bytes both came from
// ("base"). The result is the repository's file with storyflow's own changes applied to it by
// the byte-exact editor, so every byte the repository wrote and storyflow did not change stays
// as the repository wrote it. Frontmatter merges key by key; the body is one unit.
import { jsonEqual } from './json-equal.js';
import type { JsonValue } from './json-value.js';
import { editStoryDocument, parseStoryDocument, type StoryDocument } from './story-document.js';

/** The key that names the body in a conflict (no frontmatter key can be written so). */
export const BODY_KEY = '(body)';

/** One key changed on both sides to different values; the repository's value was kept. */
export interface MergeConflict {
  /** A frontmatter key, or BODY_KEY. */
  key: string;
  /** Storyflow's value (undefined: storyflow removed the key). */
  ours: JsonValue | undefined;
  /** The repository's value, the one the merged document holds (undefined: removed). */
  theirs: JsonValue | undefined;
}

export interface StoryMerge {
  /** The merged document's text. */
  text: string;
  conflicts: MergeConflict[];
}

const sameValue = (a: JsonValue | undefined, b: JsonValue | undefined): boolean =>
  a === undefined || b === undefined ? a === b : jsonEqual(a, b);

/**
 * Merges storyflow's changes since `base` into the repository's `theirs`. A key (or the body)
 * changed on one side only takes that side's value; changed on both sides to the same value,
 * that value; to different values, the repository's, and it is a conflict. Throws
 * StoryDocumentError when a text is not a story document or storyflow's changes cannot be
 * written into the repository's file.
 *
 * @example
 * mergeStoryDocuments(base, ours, theirs)
 * // { text: theirs with ours' changed keys, conflicts: [{ key: 'title', ours: 'A', theirs: 'B' }] }
 */
export function mergeStoryDocuments(base: string, ours: string, theirs: string): StoryMerge {
  if (ours === base || ours === theirs) return { text: theirs, conflicts: [] };
  if (theirs === base) return { text: ours, conflicts: [] };
  const before = parseStoryDocument(base);
  const mine = parseStoryDocument(ours);
  const repository = parseStoryDocument(theirs);

  const fields: Record<string, JsonValue | undefined> = {};
  const conflicts: MergeConflict[] = [];
  for (const key of changedKeys(before, mine)) {
    const baseValue = before.fields[key];
    const ourValue = mine.fields[key];
    const theirValue = repository.fields[key];
    if (sameValue(baseValue, theirValue)) fields[key] = ourValue;
    else if (!sameValue(ourValue, theirValue)) {
      conflicts.push({ key, ours: ourValue, theirs: theirValue });
    }
  }
  let body: string | undefined;
  if (mine.body !== before.body) {
    if (repository.body === before.body) body = mine.body;
    else if (repository.body !== mine.body) {
      conflicts.push({ key: BODY_KEY, ours: mine.body, theirs: repository.body });
    }
  }
  const { text } = editStoryDocument(theirs, {
    fields,
    ...(body === undefined ? {} : { body }),
  }).document;
  return { text, conflicts };
}

/** The frontmatter keys whose value differs between two documents (added and removed too). */
function changedKeys(from: StoryDocument, to: StoryDocument): string[] {
  const keys = new Set([...Object.keys(from.fields), ...Object.keys(to.fields)]);
  return [...keys].filter((key) => !sameValue(from.fields[key], to.fields[key]));
}
