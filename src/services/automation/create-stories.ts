// Stories that a change brings along: a story document in a PR description or commit message
// (created, or updated when it differs), and `New-Story: Title` trailers (created with the next
// free id of the configured prefix).
import type { AuditContext } from '../../domain/audit/audit-context.js';
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import {
  findNewStoryTrailers,
  findStoryDocument,
} from '../../domain/references/find-story-document.js';
import type { FieldChange } from '../../domain/rules/plan-event.js';
import type { EventReference } from '../../domain/rules/rule.js';
import { diffStory } from '../../domain/story/diff-story.js';
import { parseStoryDocument, renderStoryDocument } from '../../domain/story/story-document.js';
import type { Workflow } from '../../domain/story/workflow.js';
import { ProblemError } from '../../errors/problem-error.js';
import type { Repositories } from '../../storage/store.js';
import { parseStory, toStoryRecord } from '../story-documents.js';

export interface CreationResult {
  changes: FieldChange[];
  references: Map<string, EventReference[]>;
  /** Documents that could not be taken, with why (explained on the operation). */
  refused: { source: string; reason: string }[];
}

/** Marks a whole-story change (creation) in an operation's changes. */
export const STORY_FIELD = '(story)';

export async function createStoriesFromEvent(
  tx: Repositories,
  event: NormalizedEvent,
  options: { workflow: Workflow; newStoryPrefix: string; now: string; context: AuditContext },
): Promise<CreationResult> {
  const result: CreationResult = { changes: [], references: new Map(), refused: [] };
  const texts: { source: string; text: string; sha?: string }[] = [];
  if (event.pr !== undefined && ['pr.opened', 'pr.updated', 'pr.ready'].includes(event.kind)) {
    texts.push({ source: `PR #${event.pr.number} description`, text: event.pr.body });
  }
  if (event.kind === 'push') {
    for (const commit of event.commits ?? []) {
      texts.push({
        source: `commit ${commit.sha.slice(0, 12)}`,
        text: commit.message,
        sha: commit.sha,
      });
    }
  }
  for (const { source, text, sha } of texts) {
    const document = findStoryDocument(text);
    if (document !== undefined) await upsertDocument(tx, document, source, options, result);
    for (const title of findNewStoryTrailers(text)) {
      await createFromTrailer(tx, event, title, source, sha, options, result);
    }
  }
  return result;
}

async function upsertDocument(
  tx: Repositories,
  text: string,
  source: string,
  options: { workflow: Workflow; now: string; context: AuditContext },
  result: CreationResult,
): Promise<void> {
  let parsed: ReturnType<typeof parseStory>;
  try {
    parsed = parseStory(options.workflow, text);
  } catch (error) {
    result.refused.push({
      source,
      reason: error instanceof ProblemError ? error.message : String(error),
    });
    return;
  }
  const id = parsed.fields.id as string;
  const existing = await tx.stories.getStory(id);
  const reference: EventReference = {
    source: 'created',
    relation: 'closes',
    evidence: `story document in the ${source}`,
  };
  result.references.set(id, [reference]);
  if (existing === undefined) {
    await tx.stories.insertStory(
      toStoryRecord(options.workflow, parsed, 1, options.now, options.now),
    );
    result.changes.push({ story: id, field: STORY_FIELD, before: null, after: parsed.text });
    return;
  }
  if (existing.document === parsed.text) return;
  const next = toStoryRecord(
    options.workflow,
    parsed,
    existing.version + 1,
    existing.createdAt,
    options.now,
  );
  if (!(await tx.stories.updateStory(next, existing.version))) {
    throw new Error(`story ${id} changed while a ${source} was being applied`);
  }
  const diff = diffStory(parseStoryDocument(existing.document), parsed);
  for (const field of Object.keys(diff.after)) {
    result.changes.push({
      story: id,
      field,
      before: diff.before[field] ?? null,
      after: diff.after[field] ?? null,
    });
  }
}

async function createFromTrailer(
  tx: Repositories,
  event: NormalizedEvent,
  title: string,
  source: string,
  sha: string | undefined,
  options: { workflow: Workflow; newStoryPrefix: string; now: string },
  result: CreationResult,
): Promise<void> {
  // The same commit is seen again when it reaches another branch: create its story once, and
  // not again after the creation was rolled back (the story deleted, its links with it).
  if (sha !== undefined) {
    const linked = await tx.stories.getStories(
      await tx.links.findLinkedStories('commit', event.repository, sha),
    );
    if (linked.some((story) => story.title === title)) return;
    const earlier = await tx.operations.findBySha(event.repository, sha);
    if (earlier.some((operation) => createdStoryTitled(operation.changes, title))) return;
  }
  const id = nextFreeId(
    options.newStoryPrefix,
    await tx.stories.listStoryIdsWithPrefix(options.newStoryPrefix),
  );
  const branch = event.pr?.source ?? event.branch;
  const text = renderStoryDocument(
    {
      id,
      title,
      ...(branch === undefined ? {} : { branch_name: branch }),
      status: options.workflow.initial,
    },
    `# ${id}: ${title}\n`,
  );
  const parsed = parseStory(options.workflow, text);
  await tx.stories.insertStory(
    toStoryRecord(options.workflow, parsed, 1, options.now, options.now),
  );
  result.changes.push({ story: id, field: STORY_FIELD, before: null, after: text });
  result.references.set(id, [
    { source: 'created', relation: 'mentions', evidence: `New-Story trailer in the ${source}` },
  ]);
}

/** Whether the changes include the creation of a story with this title. */
function createdStoryTitled(changes: readonly FieldChange[], title: string): boolean {
  return changes.some(
    (change) =>
      change.field === STORY_FIELD &&
      change.before === null &&
      typeof change.after === 'string' &&
      parseStoryDocument(change.after).fields.title === title,
  );
}

/** `INT-004` after INT-001…INT-003: numbers keep the width of the widest existing one (min 3). */
export function nextFreeId(prefix: string, existing: readonly string[]): string {
  let max = 0;
  let width = 3;
  for (const id of existing) {
    if (!id.startsWith(`${prefix}-`)) continue;
    const digits = id.slice(prefix.length + 1);
    if (!/^\d+$/.test(digits)) continue;
    max = Math.max(max, Number(digits));
    width = Math.max(width, digits.length);
  }
  return `${prefix}-${String(max + 1).padStart(width, '0')}`;
}
