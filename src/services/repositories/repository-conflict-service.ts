// The conflicts of inbound syncs (docs/git-sync.md, "Conflicts"): listed per repository until
// someone acknowledges them. Acknowledging twice is harmless: the second answers the conflict as
// the first left it, and writes nothing.
import type { AuditContext } from '../../domain/audit/audit-context.js';
import { auditEntry } from '../../domain/audit/audit-entry.js';
import type { Clock } from '../../domain/clock.js';
import type { JsonValue } from '../../domain/story/json-value.js';
import { ProblemError } from '../../errors/problem-error.js';
import type { RepositoryConflict } from '../../storage/repository-conflict-repository.js';
import type { Store } from '../../storage/store.js';

/** A conflict as the API answers it: each side's value as JSON (null: that side removed it). */
export interface RepositoryConflictJson {
  id: string;
  repository: string;
  path: string;
  storyId: string;
  key: string;
  storyflowValue: JsonValue | null;
  repositoryValue: JsonValue | null;
  commit: string;
  createdAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

export const CONFLICT_LIST_LIMIT = { default: 100, max: 500 } as const;

const fromJson = (text: string | null): JsonValue | null =>
  text === null ? null : (JSON.parse(text) as JsonValue);

function toJson(conflict: RepositoryConflict): RepositoryConflictJson {
  return {
    id: conflict.id,
    repository: conflict.repository,
    path: conflict.path,
    storyId: conflict.storyId,
    key: conflict.key,
    storyflowValue: fromJson(conflict.storyflowValue),
    repositoryValue: fromJson(conflict.repositoryValue),
    commit: conflict.commitSha,
    createdAt: conflict.createdAt,
    acknowledgedAt: conflict.acknowledgedAt,
    acknowledgedBy: conflict.acknowledgedBy,
  };
}

export class RepositoryConflictService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** Throws 404 repository-not-found for a repository not in the config. */
    private readonly checkRepository: (name: string) => void,
  ) {}

  /** A repository's conflicts, oldest first: the unacknowledged ones, or with `all` every one. */
  async list(
    name: string,
    options: { all?: boolean; limit?: number } = {},
  ): Promise<RepositoryConflictJson[]> {
    this.checkRepository(name);
    const rows = await this.store.repositoryConflicts.list(name, {
      all: options.all ?? false,
      limit: options.limit ?? CONFLICT_LIST_LIMIT.default,
    });
    return rows.map(toJson);
  }

  /** Acknowledges a conflict (audited once); 404 conflict-not-found for an unknown id. */
  async acknowledge(
    name: string,
    id: string,
    context: AuditContext,
  ): Promise<RepositoryConflictJson> {
    this.checkRepository(name);
    return this.store.transaction(async (tx) => {
      const conflict = await tx.repositoryConflicts.get(name, id);
      if (conflict === undefined) {
        throw new ProblemError('conflict-not-found', `No conflict ${id} in ${name}`, {
          repository: name,
          id,
        });
      }
      if (conflict.acknowledgedAt !== null) return toJson(conflict);
      const at = this.clock.now().toISOString();
      const by = context.actor.name ?? context.actor.id ?? context.actor.type;
      await tx.repositoryConflicts.acknowledge(name, id, at, by);
      await tx.audit.append([
        auditEntry({
          occurredAt: at,
          actor: context.actor,
          action: 'sync.conflict.acknowledged',
          targetType: 'repository_conflict',
          targetId: id,
          before: { acknowledgedAt: null },
          after: { acknowledgedAt: at, acknowledgedBy: by },
          requestId: context.requestId,
          reason: `${conflict.key} of ${conflict.storyId} (${name}:${conflict.path})`,
        }),
      ]);
      return toJson({ ...conflict, acknowledgedAt: at, acknowledgedBy: by });
    });
  }
}
