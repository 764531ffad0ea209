// No lost edit (docs/git-sync.md, "Conflicts"): what an inbound sync imports for a story file
// that changed in the repository, given the story as storyflow holds it and the bytes last synced
// from that file (the binding's blob, the base of a three-way merge).
import {
  BODY_KEY,
  type MergeConflict,
  mergeStoryDocuments,
} from '../../domain/story/merge-story-documents.js';
import type { StoryDocument } from '../../domain/story/story-document.js';
import { StoryDocumentError } from '../../domain/story/story-document-error.js';
import type { Workflow } from '../../domain/story/workflow.js';
import { ProblemError } from '../../errors/problem-error.js';
import { parseStory } from '../story-documents.js';

/** The key a conflict names when the two documents could not be merged key by key. */
export const DOCUMENT_KEY = '(document)';

export interface InboundStory {
  /** The document to import; undefined: keep storyflow's (the file did not change). */
  document: StoryDocument | undefined;
  /** Keys changed on both sides, where the repository's value was kept. */
  conflicts: MergeConflict[];
  /** Whether storyflow's own changes were merged into the file's. */
  merged: boolean;
}

export function inboundStory(input: {
  workflow: Workflow;
  /** The file as the pushed commit holds it. */
  incoming: StoryDocument;
  /** The story as storyflow holds it (undefined: a new story). */
  stored: string | undefined;
  /** The bytes last synced from this file (undefined: never synced, or not readable). */
  base: string | undefined;
}): InboundStory {
  const { workflow, incoming, stored, base } = input;
  const taken = { document: incoming, conflicts: [], merged: false };
  if (stored === undefined || stored === incoming.text) return taken;
  // The file is as it was last synced: storyflow's is the newer version (written back later).
  if (base === incoming.text) return { document: undefined, conflicts: [], merged: false };
  if (base === undefined || stored === base) return taken;
  try {
    const merge = mergeStoryDocuments(base, stored, incoming.text);
    return {
      document: merge.text === incoming.text ? incoming : parseStory(workflow, merge.text),
      conflicts: merge.conflicts,
      merged: merge.text !== incoming.text,
    };
  } catch (error) {
    if (!(error instanceof StoryDocumentError || error instanceof ProblemError)) throw error;
    // Storyflow's changes cannot be written into the file: the file wins whole, and storyflow's
    // document is kept in the conflict.
    return {
      document: incoming,
      conflicts: [{ key: DOCUMENT_KEY, ours: stored, theirs: incoming.text }],
      merged: false,
    };
  }
}

/** How a conflict's key reads in history and in the conflicts list. */
export const describeConflictKey = (key: string): string =>
  key === BODY_KEY ? 'the body' : key === DOCUMENT_KEY ? 'the document' : key;
