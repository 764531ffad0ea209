import type { Kysely, Selectable } from 'kysely';
import type { Database, RepositoryConflictsTable } from './database.js';
import type {
  RepositoryConflict,
  RepositoryConflictRepository,
} from './repository-conflict-repository.js';

export class KyselyRepositoryConflictRepository implements RepositoryConflictRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async add(conflicts: readonly RepositoryConflict[]): Promise<void> {
    if (conflicts.length === 0) return;
    await this.db
      .insertInto('repository_conflicts')
      .values(
        conflicts.map((conflict) => ({
          id: conflict.id,
          repository: conflict.repository,
          path: conflict.path,
          story_id: conflict.storyId,
          key: conflict.key,
          storyflow_value: conflict.storyflowValue,
          repository_value: conflict.repositoryValue,
          commit_sha: conflict.commitSha,
          created_at: conflict.createdAt,
          acknowledged_at: conflict.acknowledgedAt,
          acknowledged_by: conflict.acknowledgedBy,
        })),
      )
      .execute();
  }

  async list(
    repository: string,
    options: { all: boolean; limit: number },
  ): Promise<RepositoryConflict[]> {
    let query = this.db
      .selectFrom('repository_conflicts')
      .selectAll()
      .where('repository', '=', repository);
    if (!options.all) query = query.where('acknowledged_at', 'is', null);
    const rows = await query.orderBy('created_at').orderBy('id').limit(options.limit).execute();
    return rows.map(fromRow);
  }

  async get(repository: string, id: string): Promise<RepositoryConflict | undefined> {
    const row = await this.db
      .selectFrom('repository_conflicts')
      .selectAll()
      .where('repository', '=', repository)
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  async acknowledge(repository: string, id: string, at: string, by: string): Promise<boolean> {
    const result = await this.db
      .updateTable('repository_conflicts')
      .set({ acknowledged_at: at, acknowledged_by: by })
      .where('repository', '=', repository)
      .where('id', '=', id)
      .where('acknowledged_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

function fromRow(row: Selectable<RepositoryConflictsTable>): RepositoryConflict {
  return {
    id: row.id,
    repository: row.repository,
    path: row.path,
    storyId: row.story_id,
    key: row.key,
    storyflowValue: row.storyflow_value,
    repositoryValue: row.repository_value,
    commitSha: row.commit_sha,
    createdAt: row.created_at,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
  };
}
