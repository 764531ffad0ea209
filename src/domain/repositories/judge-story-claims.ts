// A story file that names an id its repository has not bound yet claims that story. Most claims
// are new stories; two kinds are not imported, and are reported as conflicts instead, so that
// nothing is overwritten without a word:
// - the id is bound to a file of another configured repository: the first binding stands;
// - a story with the id was made in storyflow (or kept after its file was deleted) and its
//   document is not the file's bytes: storyflow's edits would be lost. The same bytes (a story
//   exported with `storyflow export` and committed) bind the file to it and change nothing.
// Pure.

/** A file about to be imported whose id is not bound in its repository. */
export interface StoryClaim {
  path: string;
  storyId: string;
  /** The file's text (its bytes as UTF-8). */
  text: string;
}

/** What storyflow holds about the claimed ids. */
export interface ClaimFacts {
  /** Ids bound to a file of another configured repository. */
  boundElsewhere: ReadonlyMap<string, { repository: string; path: string }>;
  /** Documents of the claimed ids that exist in storyflow. */
  existing: ReadonlyMap<string, string>;
}

export type ClaimConflict =
  | {
      storyId: string;
      paths: string[];
      cause: 'bound-elsewhere';
      boundIn: { repository: string; path: string };
    }
  | { storyId: string; paths: string[]; cause: 'made-in-storyflow' };

/**
 * @example
 * judgeStoryClaims([{ path: 'a.md', storyId: 'INT-1', text: 'x' }],
 *   { boundElsewhere: new Map(), existing: new Map([['INT-1', 'y']]) })
 * // { refused: Set {'a.md'}, conflicts: [{ storyId: 'INT-1', paths: ['a.md'], cause: 'made-in-storyflow' }] }
 */
export function judgeStoryClaims(
  claims: readonly StoryClaim[],
  facts: ClaimFacts,
): { refused: Set<string>; conflicts: ClaimConflict[] } {
  const refused = new Set<string>();
  const conflicts: ClaimConflict[] = [];
  for (const claim of claims) {
    const elsewhere = facts.boundElsewhere.get(claim.storyId);
    if (elsewhere !== undefined) {
      refused.add(claim.path);
      conflicts.push({
        storyId: claim.storyId,
        paths: [claim.path],
        cause: 'bound-elsewhere',
        boundIn: elsewhere,
      });
      continue;
    }
    const document = facts.existing.get(claim.storyId);
    if (document !== undefined && document !== claim.text) {
      refused.add(claim.path);
      conflicts.push({ storyId: claim.storyId, paths: [claim.path], cause: 'made-in-storyflow' });
    }
  }
  return { refused, conflicts };
}
