// Before a sync imports files whose ids its repository has not bound, it asks the database who
// else holds those ids (judgeStoryClaims decides): a file claiming an id bound in another
// configured repository, or a story made in storyflow with other bytes, is not imported. Each
// refusal is a conflict in the sync's summary and a `sync.conflict` audit entry, so a sync the
// runner ran (nobody reads its summary) still says so.
import type { AuditActor } from '../../domain/audit/audit-entry.js';
import { auditEntry } from '../../domain/audit/audit-entry.js';
import {
  type ClaimConflict,
  judgeStoryClaims,
  type StoryClaim,
} from '../../domain/repositories/judge-story-claims.js';
import type { Repositories, StoryRecord } from '../../storage/store.js';

const LOOKUP_CHUNK = 100;

/**
 * The claims among `claims` that must not be imported (by path), with their conflicts; the
 * audit entries are written in `tx`. `stories`: the claimed ids' stories as read in `tx` (an id
 * not in it has none), read once by the sync for its merges and import too.
 */
export async function refuseConflictingClaims(
  tx: Repositories,
  repository: string,
  otherRepositories: readonly string[],
  claims: readonly StoryClaim[],
  stories: ReadonlyMap<string, StoryRecord>,
  audit: { actor: AuditActor; at: string; source: (path: string) => string },
): Promise<{ refused: Set<string>; conflicts: ClaimConflict[] }> {
  if (claims.length === 0) return { refused: new Set(), conflicts: [] };
  const boundElsewhere = new Map<string, { repository: string; path: string }>();
  const existing = new Map<string, string>();
  for (const claim of claims) {
    const story = stories.get(claim.storyId);
    if (story !== undefined) existing.set(story.id, story.document);
  }
  const ids = [...new Set(claims.map((claim) => claim.storyId))];
  for (let start = 0; start < ids.length; start += LOOKUP_CHUNK) {
    const chunk = ids.slice(start, start + LOOKUP_CHUNK);
    for (const binding of await tx.repositorySync.findBindingsOfStories(otherRepositories, chunk))
      if (!boundElsewhere.has(binding.storyId))
        boundElsewhere.set(binding.storyId, { repository: binding.repository, path: binding.path });
  }
  const judged = judgeStoryClaims(claims, { boundElsewhere, existing });
  if (judged.conflicts.length > 0) {
    await tx.audit.append(
      judged.conflicts.map((conflict) =>
        auditEntry({
          occurredAt: audit.at,
          actor: audit.actor,
          action: 'sync.conflict',
          targetType: 'story',
          targetId: conflict.storyId,
          before: null,
          after: {
            repository,
            path: conflict.paths[0] as string,
            cause: conflict.cause,
            ...(conflict.cause === 'bound-elsewhere' ? { boundIn: conflict.boundIn } : {}),
          },
          reason:
            conflict.cause === 'bound-elsewhere'
              ? `not imported from ${audit.source(conflict.paths[0] as string)}: ${conflict.storyId} is bound to ${conflict.boundIn.repository}:${conflict.boundIn.path}`
              : `not imported from ${audit.source(conflict.paths[0] as string)}: ${conflict.storyId} was made in storyflow and differs from the file`,
        }),
      ),
    );
  }
  return judged;
}
