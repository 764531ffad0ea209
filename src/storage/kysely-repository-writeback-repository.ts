import type { Kysely, Selectable } from 'kysely';
import type { Database, RepositoryWritebacksTable } from './database.js';
import type { RepositoryBinding } from './repository-sync-repository.js';
import type {
  RepositoryWriteBackRepository,
  WriteBackIntent,
  WriteBackSummary,
} from './repository-writeback-repository.js';

export class KyselyRepositoryWriteBackRepository implements RepositoryWriteBackRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async queue(intents: readonly WriteBackIntent[]): Promise<void> {
    if (intents.length === 0) return;
    await this.db
      .insertInto('repository_writebacks')
      .values(
        intents.map((intent) => ({
          id: intent.id,
          repository: intent.repository,
          story_id: intent.storyId,
          operation_id: intent.operationId,
          summary: intent.summary,
          queued_at: intent.queuedAt,
          attempts: intent.attempts,
          next_attempt_at: intent.nextAttemptAt,
          last_error: intent.lastError,
        })),
      )
      .execute();
  }

  async bindingsOfStory(storyId: string): Promise<RepositoryBinding[]> {
    const rows = await this.db
      .selectFrom('repository_bindings')
      .selectAll()
      .where('story_id', '=', storyId)
      .execute();
    return rows.map((row) => ({
      repository: row.repository,
      path: row.path,
      storyId: row.story_id,
      blobSha: row.blob_sha,
      commitSha: row.commit_sha,
      boundAt: row.bound_at,
    }));
  }

  async dueRepositories(repositories: readonly string[], now: string): Promise<string[]> {
    if (repositories.length === 0) return [];
    const rows = await this.db
      .selectFrom('repository_writebacks')
      .select('repository')
      .distinct()
      .where('repository', 'in', [...repositories])
      .where('next_attempt_at', '<=', now)
      .execute();
    return rows.map((row) => row.repository);
  }

  async listIntents(repository: string): Promise<WriteBackIntent[]> {
    const rows = await this.db
      .selectFrom('repository_writebacks')
      .selectAll()
      .where('repository', '=', repository)
      .orderBy('queued_at')
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .deleteFrom('repository_writebacks')
      .where('id', 'in', [...ids])
      .execute();
  }

  async postpone(
    ids: readonly string[],
    reason: string,
    nextAttemptAt: string,
    failed: boolean,
  ): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('repository_writebacks')
      .set((eb) => ({
        attempts: failed ? eb(eb.ref('attempts'), '+', 1) : eb.ref('attempts'),
        next_attempt_at: nextAttemptAt,
        last_error: reason,
      }))
      .where('id', 'in', [...ids])
      .execute();
  }

  async advanceSyncedSha(repository: string, from: string, to: string): Promise<void> {
    await this.db
      .updateTable('repository_sync_state')
      .set({ last_synced_sha: to })
      .where('repository', '=', repository)
      .where('last_synced_sha', '=', from)
      .execute();
  }

  async summary(repository: string): Promise<WriteBackSummary> {
    const rows = await this.db
      .selectFrom('repository_writebacks')
      .select(['attempts', 'last_error', 'next_attempt_at', 'queued_at'])
      .where('repository', '=', repository)
      .orderBy('queued_at')
      .execute();
    let failing = 0;
    let lastError: string | null = null;
    let nextAttemptAt: string | null = null;
    for (const row of rows) {
      failing = Math.max(failing, Number(row.attempts));
      if (row.last_error !== null) lastError = row.last_error;
      if (nextAttemptAt === null || row.next_attempt_at < nextAttemptAt)
        nextAttemptAt = row.next_attempt_at;
    }
    return { pending: rows.length, failing, lastError, nextAttemptAt };
  }
}

function fromRow(row: Selectable<RepositoryWritebacksTable>): WriteBackIntent {
  return {
    id: row.id,
    repository: row.repository,
    storyId: row.story_id,
    operationId: row.operation_id,
    summary: row.summary,
    queuedAt: row.queued_at,
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
  };
}
