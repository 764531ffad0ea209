// What a repository sync reads in bulk (issue #18 point 9): the bases of its three-way merges
// from the mirror in one `git cat-file --batch`, and stories by id a few hundred a query. One
// read per file costs a process or a round trip each, which on PostgreSQL was most of a sync.
import type { RepositorySyncPlan } from '../../domain/repositories/plan-repository-sync.js';
import type { StoryDocument } from '../../domain/story/story-document.js';
import type { Repositories, StoryRecord } from '../../storage/store.js';
import type { GitMirror } from './git-mirror.js';

/** Ids a getStories query (well under both databases' bind-parameter limits). */
export const STORY_READ_CHUNK = 500;

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The stories with these ids, by id (missing ones left out), STORY_READ_CHUNK a query. */
export async function storiesById(
  tx: Repositories,
  ids: readonly string[],
): Promise<Map<string, StoryRecord>> {
  const unique = [...new Set(ids)];
  const stories = new Map<string, StoryRecord>();
  for (let start = 0; start < unique.length; start += STORY_READ_CHUNK) {
    for (const story of await tx.stories.getStories(unique.slice(start, start + STORY_READ_CHUNK)))
      stories.set(story.id, story);
  }
  return stories;
}

/**
 * The bytes each bound file to import was last synced with (its binding's blob), by path: the
 * base of the three-way merge with storyflow's changes. A base the mirror no longer holds (a
 * mirror made again) or that is not UTF-8 is left out: the file is then imported as it is.
 */
export async function readMergeBases(
  mirror: GitMirror,
  bindings: readonly { path: string; storyId: string; blobSha: string }[],
  plan: RepositorySyncPlan,
  documents: ReadonlyMap<string, StoryDocument>,
): Promise<Map<string, string>> {
  const byPath = new Map(bindings.map((binding) => [binding.path, binding]));
  const bases = new Map<string, string>();
  const wanted = new Map<string, string>();
  for (const file of plan.imports) {
    const binding = byPath.get(file.previousPath ?? file.path);
    if (binding?.storyId !== file.storyId) continue;
    // The same blob (a whole-tree sync of an unchanged file): the file is its own base.
    if (binding.blobSha === file.blobSha) {
      const document = documents.get(file.path);
      if (document !== undefined) bases.set(file.path, document.text);
    } else wanted.set(file.path, binding.blobSha);
  }
  // As when bases were read a chunk at a time: a read that fails leaves them out.
  const blobs = await mirror
    .readBlobs([...new Set(wanted.values())], { skipMissing: true })
    .catch(() => new Map<string, Buffer>());
  for (const [path, sha] of wanted) {
    const bytes = blobs.get(sha);
    if (bytes === undefined) continue;
    try {
      bases.set(path, UTF8.decode(bytes));
    } catch {
      // Not UTF-8: no base.
    }
  }
  return bases;
}
