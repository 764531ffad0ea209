// One part of a repository sync, in its own transaction (repository-sync-service.ts makes the
// parts): the first unbinds the files gone (onDelete), each imports up to IMPORT_CHUNK files.
// Files claiming ids another repository or storyflow holds are refused, files changed on both
// sides are merged three-way, the rest imported byte for byte; bindings follow, and the last
// part records the sync.
import type { RepositoryConfig } from '../../config/config.js';
import type { AuditActor } from '../../domain/audit/audit-entry.js';
import { auditEntry } from '../../domain/audit/audit-entry.js';
import type { Clock } from '../../domain/clock.js';
import type { RepositorySyncPlan } from '../../domain/repositories/plan-repository-sync.js';
import type { StoryDocument } from '../../domain/story/story-document.js';
import { isKnownStatus, type Workflow } from '../../domain/story/workflow.js';
import type { Repositories } from '../../storage/store.js';
import type { StoryService } from '../story-service.js';
import { inboundStory } from './merge-inbound-story.js';
import { GIT_SYNC_MERGE_ACTOR_ID } from './queue-write-backs.js';
import { recordConflicts } from './record-conflicts.js';
import type { RepositorySyncSummary, SyncPoint } from './repository-sync-summary.js';
import { refuseConflictingClaims } from './story-claims.js';
import { storiesById } from './sync-reads.js';

/** What a part of a sync needs of the sync around it. */
export interface SyncPartContext {
  stories: StoryService;
  workflow: Workflow;
  clock: Clock;
  /** The other configured repositories: an id bound in one of them is not imported here. */
  otherRepositories: readonly string[];
  /** The sync's progress, counted on as files are imported. */
  progress: { phase: string; done: number } | undefined;
}

/** Which part of the plan this is. */
export interface SyncPart {
  /** The first part: unbind the files gone. */
  unbinds: boolean;
  imports: RepositorySyncPlan['imports'];
  /** The last part: record the sync. */
  last: boolean;
  /** The ids bound in this repository when the sync began. */
  boundHere: ReadonlySet<string>;
}

export async function applySyncPart(
  tx: Repositories,
  sync: SyncPartContext,
  repository: RepositoryConfig,
  plan: RepositorySyncPlan,
  files: { documents: Map<string, StoryDocument>; bases: Map<string, string> },
  at: SyncPoint,
  summary: RepositorySyncSummary,
  part: SyncPart,
): Promise<void> {
  const { name } = repository;
  const now = sync.clock.now().toISOString();
  const actor: AuditActor = { type: 'system', id: 'git-sync', name: `git ${name}` };
  const source = (path: string) => `${name}@${at.head}:${path}`;

  const unbinds = part.unbinds ? plan.unbinds : [];
  await tx.repositorySync.removeBindings(
    name,
    unbinds.map((unbind) => unbind.path),
  );
  // Read once, not a query per file; a story deleted below is taken out.
  const present = await storiesById(
    tx,
    unbinds.map((unbind) => unbind.storyId),
  );
  for (const unbind of unbinds) {
    const reason =
      unbind.cause === 'deleted'
        ? `file deleted in ${source(unbind.path)}`
        : `file now holds another story in ${source(unbind.path)}`;
    const context = { actor, requestId: null, reason };
    const onDelete = unbind.cause === 'deleted' ? repository.onDelete : 'keep';
    if (!present.has(unbind.storyId)) continue;
    if (onDelete === 'delete') {
      await sync.stories.deleteIn(tx, unbind.storyId, undefined, context);
      present.delete(unbind.storyId);
      summary.deleted.push(unbind.storyId);
      continue;
    }
    if (onDelete === 'cancel' && isKnownStatus(sync.workflow, 'cancelled')) {
      await sync.stories.applyFieldsIn(
        tx,
        unbind.storyId,
        { status: 'cancelled' },
        'story.transitioned',
        context,
      );
      summary.cancelled.push(unbind.storyId);
    } else {
      summary.unbound.push(unbind.storyId);
    }
    await tx.audit.append([
      auditEntry({
        occurredAt: now,
        actor,
        action: 'story.unbound',
        targetType: 'story',
        targetId: unbind.storyId,
        before: { repository: name, path: unbind.path },
        after: null,
        reason,
      }),
    ]);
  }

  // Files claiming ids not bound here yet: refused when another repository or storyflow holds them.
  const claims = part.imports
    .filter((file) => !part.boundHere.has(file.storyId))
    .map((file) => ({
      path: file.path,
      storyId: file.storyId,
      text: (files.documents.get(file.path) as StoryDocument).text,
    }));
  // The chunk's stories, read once: for the claims, the merges and importIn.
  const stored = await storiesById(
    tx,
    part.imports.map((file) => file.storyId),
  );
  const { refused, conflicts } = await refuseConflictingClaims(
    tx,
    name,
    sync.otherRepositories,
    claims,
    stored,
    { actor, at: now, source },
  );
  summary.conflicts.push(...conflicts);
  const kept = part.imports.filter((file) => !refused.has(file.path));
  // Each file changed on both sides since the last sync is merged three-way with storyflow's
  // changes (the base is the binding's blob); without a base it is imported as it is.
  const plain: { path: string; document: StoryDocument }[] = [];
  const merged: { path: string; document: StoryDocument }[] = [];
  for (const file of kept) {
    const base = files.bases.get(file.path);
    const inbound = inboundStory({
      workflow: sync.workflow,
      incoming: files.documents.get(file.path) as StoryDocument,
      stored: base === undefined ? undefined : stored.get(file.storyId)?.document,
      base,
    });
    if (inbound.merged) summary.merged.push(file.storyId);
    await recordConflicts(tx, inbound.conflicts, {
      repository: name,
      path: file.path,
      storyId: file.storyId,
      commitSha: at.head,
      at: now,
      actor,
      summary,
    });
    if (inbound.document === undefined) summary.unchanged.push(file.storyId);
    else (inbound.merged ? merged : plain).push({ path: file.path, document: inbound.document });
  }
  // One import of the chunk's files (one audit append, as POST /stories/import makes), each
  // file's path as its story's reason. A merged document differs from the file, so it is
  // imported as the merge (MERGE_ACTOR_ID), whose changes are written back to the file.
  for (const [group, by] of [
    [plain, actor],
    [merged, { ...actor, id: GIT_SYNC_MERGE_ACTOR_ID, name: `git ${name} (merged)` }],
  ] as const) {
    if (group.length === 0) continue;
    const results = await sync.stories.importIn(
      tx,
      group.map((item) => item.document),
      { actor: by, requestId: null, reason: null },
      group.map((item) => `imported from ${source(item.path)}`),
      stored,
    );
    for (const result of results) summary[result.action].push(result.id);
  }
  const renamed = kept.filter((file) => file.previousPath !== undefined);
  // The chunk's bindings in a statement or two, not one per file (a rename's old path is
  // never another file's new one: diff-tree renames only from deleted paths).
  await tx.repositorySync.removeBindings(
    name,
    renamed.map((file) => file.previousPath as string),
  );
  for (const file of renamed) {
    const from = file.previousPath as string;
    summary.renamed.push({ storyId: file.storyId, from, to: file.path });
  }
  await tx.repositorySync.putBindings(
    kept.map((file) => ({
      repository: name,
      path: file.path,
      storyId: file.storyId,
      blobSha: file.blobSha,
      commitSha: at.head,
      boundAt: now,
    })),
  );
  if (sync.progress?.phase === 'importing') sync.progress.done += kept.length;
  if (part.last) {
    await tx.repositorySync.markSynced(name, at.head, now, at.pushesCovered, at.startedFrom);
  }
}
