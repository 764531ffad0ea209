import type { Kysely, Selectable } from 'kysely';
import {
  type Database,
  type RepositoryBindingsTable,
  type RepositorySyncStateTable,
  storageDialectOf,
} from './database.js';
import type {
  RepositoryBinding,
  RepositorySyncRepository,
  RepositorySyncState,
} from './repository-sync-repository.js';

/**
 * Bindings a statement: 6 parameters a row keep a chunk at 6,000, under both SQLite's limit
 * (32,766) and PostgreSQL's (65,535); a first sync of thousands of files writes a few statements,
 * not one round trip per file.
 */
export const BINDING_CHUNK = 1000;

export class KyselyRepositorySyncRepository implements RepositorySyncRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async listBindings(repository: string): Promise<RepositoryBinding[]> {
    const rows = await this.db
      .selectFrom('repository_bindings')
      .selectAll()
      .where('repository', '=', repository)
      .orderBy('path')
      .execute();
    return rows.map(bindingFromRow);
  }

  async findBindingsOfStories(
    repositories: readonly string[],
    storyIds: readonly string[],
  ): Promise<RepositoryBinding[]> {
    if (repositories.length === 0 || storyIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('repository_bindings')
      .selectAll()
      .where('repository', 'in', [...repositories])
      .where('story_id', 'in', [...storyIds])
      .orderBy('repository')
      .orderBy('path')
      .execute();
    return rows.map(bindingFromRow);
  }

  async countBindings(repository: string): Promise<number> {
    const row = await this.db
      .selectFrom('repository_bindings')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('repository', '=', repository)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async putBinding(binding: RepositoryBinding): Promise<void> {
    await this.putBindings([binding]);
  }

  async putBindings(bindings: readonly RepositoryBinding[]): Promise<void> {
    // One statement must not name a row twice (PostgreSQL refuses an upsert that would
    // affect a row a second time): the last entry for a path wins, as sequential puts would.
    const byKey = new Map<string, RepositoryBinding>();
    for (const binding of bindings) {
      const key = JSON.stringify([binding.repository, binding.path]);
      byKey.delete(key);
      byKey.set(key, binding);
    }
    const unique = [...byKey.values()];
    for (let start = 0; start < unique.length; start += BINDING_CHUNK) {
      await this.db
        .insertInto('repository_bindings')
        .values(
          unique.slice(start, start + BINDING_CHUNK).map((binding) => ({
            repository: binding.repository,
            path: binding.path,
            story_id: binding.storyId,
            blob_sha: binding.blobSha,
            commit_sha: binding.commitSha,
            bound_at: binding.boundAt,
          })),
        )
        .onConflict((conflict) =>
          conflict.columns(['repository', 'path']).doUpdateSet((eb) => ({
            story_id: eb.ref('excluded.story_id'),
            blob_sha: eb.ref('excluded.blob_sha'),
            commit_sha: eb.ref('excluded.commit_sha'),
            bound_at: eb.ref('excluded.bound_at'),
          })),
        )
        .execute();
    }
  }

  async removeBinding(repository: string, path: string): Promise<void> {
    await this.removeBindings(repository, [path]);
  }

  async removeBindings(repository: string, paths: readonly string[]): Promise<void> {
    const unique = [...new Set(paths)];
    for (let start = 0; start < unique.length; start += BINDING_CHUNK) {
      await this.db
        .deleteFrom('repository_bindings')
        .where('repository', '=', repository)
        .where('path', 'in', unique.slice(start, start + BINDING_CHUNK))
        .execute();
    }
  }

  async getState(repository: string): Promise<RepositorySyncState | undefined> {
    const row = await this.db
      .selectFrom('repository_sync_state')
      .selectAll()
      .where('repository', '=', repository)
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  async recordPush(repository: string, at: string): Promise<void> {
    await this.db
      .insertInto('repository_sync_state')
      .values({
        repository,
        last_synced_sha: null,
        last_synced_at: null,
        pending_pushes: 1,
        failed_attempts: 0,
        next_attempt_at: at,
        lease_until: null,
        last_error: null,
      })
      .onConflict((conflict) =>
        conflict.column('repository').doUpdateSet((eb) => ({
          pending_pushes: eb(eb.ref('repository_sync_state.pending_pushes'), '+', 1),
          // A push while failing waits for the retry already scheduled.
          next_attempt_at: eb
            .case()
            .when(eb.ref('repository_sync_state.failed_attempts'), '>', 0)
            .then(eb.ref('repository_sync_state.next_attempt_at'))
            .else(eb.ref('excluded.next_attempt_at'))
            .end(),
        })),
      )
      .execute();
  }

  async claimDue(
    repositories: readonly string[],
    now: string,
    leaseUntil: string,
  ): Promise<RepositorySyncState[]> {
    if (repositories.length === 0) return [];
    let due = this.db
      .selectFrom('repository_sync_state')
      .select('repository')
      .where('repository', 'in', [...repositories])
      .where('pending_pushes', '>', 0)
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]));
    if (storageDialectOf(this.db) === 'postgres') due = due.forUpdate().skipLocked();
    const names = (await due.execute()).map((row) => row.repository);
    if (names.length === 0) return [];
    const rows = await this.db
      .updateTable('repository_sync_state')
      .set({ lease_until: leaseUntil })
      .where('repository', 'in', names)
      .returningAll()
      .execute();
    return rows.map(fromRow);
  }

  async acquireLease(repository: string, now: string, leaseUntil: string): Promise<boolean> {
    const rows = await this.db
      .insertInto('repository_sync_state')
      .values({
        repository,
        last_synced_sha: null,
        last_synced_at: null,
        pending_pushes: 0,
        failed_attempts: 0,
        next_attempt_at: null,
        lease_until: leaseUntil,
        last_error: null,
      })
      .onConflict((conflict) =>
        conflict
          .column('repository')
          .doUpdateSet({ lease_until: leaseUntil })
          .where((eb) =>
            eb.or([
              eb('repository_sync_state.lease_until', 'is', null),
              eb('repository_sync_state.lease_until', '<=', now),
            ]),
          ),
      )
      .returning('repository')
      .execute();
    return rows.length > 0;
  }

  async releaseLease(repository: string): Promise<void> {
    await this.db
      .updateTable('repository_sync_state')
      .set({ lease_until: null })
      .where('repository', '=', repository)
      .execute();
  }

  async markSynced(
    repository: string,
    sha: string,
    at: string,
    syncedPushes: number,
    startedFrom: string | null,
  ): Promise<void> {
    await this.db
      .insertInto('repository_sync_state')
      .values({
        repository,
        last_synced_sha: sha,
        last_synced_at: at,
        pending_pushes: 0,
        failed_attempts: 0,
        next_attempt_at: null,
        lease_until: null,
        last_error: null,
      })
      .onConflict((conflict) =>
        conflict.column('repository').doUpdateSet((eb) => ({
          // Only from where the sync started: a write-back that moved the point onto its own
          // commit meanwhile (advanceSyncedSha) is newer than the head this sync fetched.
          last_synced_sha: eb
            .case()
            .when(
              eb.ref('repository_sync_state.last_synced_sha'),
              startedFrom === null ? 'is' : '=',
              startedFrom,
            )
            .then(sha)
            .else(eb.ref('repository_sync_state.last_synced_sha'))
            .end(),
          last_synced_at: at,
          pending_pushes: eb
            .case()
            .when(eb.ref('repository_sync_state.pending_pushes'), '>', syncedPushes)
            .then(eb(eb.ref('repository_sync_state.pending_pushes'), '-', syncedPushes))
            .else(0)
            .end(),
          failed_attempts: 0,
          next_attempt_at: at,
          lease_until: null,
          last_error: null,
        })),
      )
      .execute();
  }

  async markFailed(repository: string, error: string, nextAttemptAt: string): Promise<void> {
    await this.db
      .insertInto('repository_sync_state')
      .values({
        repository,
        last_synced_sha: null,
        last_synced_at: null,
        pending_pushes: 0,
        failed_attempts: 1,
        next_attempt_at: nextAttemptAt,
        lease_until: null,
        last_error: error,
      })
      .onConflict((conflict) =>
        conflict.column('repository').doUpdateSet((eb) => ({
          failed_attempts: eb(eb.ref('repository_sync_state.failed_attempts'), '+', 1),
          next_attempt_at: nextAttemptAt,
          lease_until: null,
          last_error: error,
        })),
      )
      .execute();
  }
}

function bindingFromRow(row: Selectable<RepositoryBindingsTable>): RepositoryBinding {
  return {
    repository: row.repository,
    path: row.path,
    storyId: row.story_id,
    blobSha: row.blob_sha,
    commitSha: row.commit_sha,
    boundAt: row.bound_at,
  };
}

function fromRow(row: Selectable<RepositorySyncStateTable>): RepositorySyncState {
  return {
    repository: row.repository,
    lastSyncedSha: row.last_synced_sha,
    lastSyncedAt: row.last_synced_at,
    pendingPushes: Number(row.pending_pushes),
    failedAttempts: Number(row.failed_attempts),
    nextAttemptAt: row.next_attempt_at,
    leaseUntil: row.lease_until,
    lastError: row.last_error,
  };
}
