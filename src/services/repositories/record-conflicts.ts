// Records the keys an inbound sync found changed on both sides (docs/git-sync.md, "Conflicts"):
// one conflict row each, listed at GET /repositories/{name}/conflicts until acknowledged, and a
// `sync.conflict` audit entry in the story's history holding both values.
import type { AuditActor } from '../../domain/audit/audit-entry.js';
import { auditEntry } from '../../domain/audit/audit-entry.js';
import type { JsonValue } from '../../domain/story/json-value.js';
import type { MergeConflict } from '../../domain/story/merge-story-documents.js';
import type { Repositories } from '../../storage/store.js';
import { randomIds } from '../random-ids.js';
import { describeConflictKey } from './merge-inbound-story.js';

const asJson = (value: JsonValue | undefined): string | null =>
  value === undefined ? null : JSON.stringify(value);

export async function recordConflicts(
  tx: Repositories,
  conflicts: readonly MergeConflict[],
  where: {
    repository: string;
    path: string;
    storyId: string;
    commitSha: string;
    at: string;
    actor: AuditActor;
    summary: { mergeConflicts: { id: string; storyId: string; path: string; key: string }[] };
  },
): Promise<void> {
  if (conflicts.length === 0) return;
  const rows = conflicts.map((conflict) => ({
    id: randomIds.next('cfl'),
    repository: where.repository,
    path: where.path,
    storyId: where.storyId,
    key: conflict.key,
    storyflowValue: asJson(conflict.ours),
    repositoryValue: asJson(conflict.theirs),
    commitSha: where.commitSha,
    createdAt: where.at,
    acknowledgedAt: null,
    acknowledgedBy: null,
  }));
  await tx.repositoryConflicts.add(rows);
  await tx.audit.append(
    rows.map((row, index) => {
      const conflict = conflicts[index] as MergeConflict;
      return auditEntry({
        occurredAt: where.at,
        actor: where.actor,
        action: 'sync.conflict',
        targetType: 'story',
        targetId: where.storyId,
        before: { conflict: row.id, key: row.key, value: conflict.ours ?? null },
        after: { conflict: row.id, key: row.key, value: conflict.theirs ?? null },
        reason:
          `${describeConflictKey(row.key)} changed in storyflow and in ` +
          `${where.repository}@${where.commitSha}:${where.path}; the repository's value was kept`,
      });
    }),
  );
  for (const row of rows) {
    where.summary.mergeConflicts.push({
      id: row.id,
      storyId: row.storyId,
      path: row.path,
      key: row.key,
    });
  }
}
