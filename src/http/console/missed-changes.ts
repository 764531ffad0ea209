// What a person missed when their page was stale: the story's writes since the version they
// loaded, folded into one change per field (its value then and now), from the audit log. Shown
// when a move or an edit is refused with 412, so they can decide whether to retry.
import type { AuditService } from '../../services/audit-service.js';

export interface FieldChange {
  field: string;
  /** The value when the page was loaded, as a person reads it. */
  before: string;
  /** The value now. */
  after: string;
}

export interface MissedChanges {
  fields: FieldChange[];
  /** Who made the missed writes (names or actor types), each once. */
  by: string[];
  /** The raw value of each changed field when the page was loaded. */
  loaded: Record<string, unknown>;
}

/** The audit actions of writes that make a new version of a story. */
const VERSION_WRITES = new Set([
  'story.created',
  'story.imported',
  'story.updated',
  'story.transitioned',
  'story.automated',
  'story.rolled_back',
]);
/** Writes folded at most; a page that stale shows the last ones. */
const MAX_WRITES = 50;
const MAX_PAGES = 20;

export async function missedChanges(
  audit: AuditService,
  story: string,
  seenVersion: number,
  currentVersion: number,
): Promise<MissedChanges> {
  const missed = Math.min(MAX_WRITES, currentVersion - seenVersion);
  if (!Number.isSafeInteger(missed) || missed <= 0) return { fields: [], by: [], loaded: {} };
  const writes: { before: Record<string, unknown>; after: Record<string, unknown>; by: string }[] =
    [];
  let cursor: string | undefined;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = await audit.list({
      story,
      limit: 500,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const entry of page.items) {
      if (entry.targetId !== story || !VERSION_WRITES.has(entry.action)) continue;
      writes.push({
        before: objectOf(entry.before),
        after: objectOf(entry.after),
        by: entry.actor.name ?? entry.actor.type,
      });
      if (writes.length > missed) writes.shift();
    }
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  const then = new Map<string, unknown>();
  const now = new Map<string, unknown>();
  for (const write of writes) {
    for (const [field, value] of Object.entries(write.before)) {
      if (!then.has(field)) then.set(field, value);
    }
    for (const [field, value] of Object.entries(write.after)) now.set(field, value);
  }
  const fields: FieldChange[] = [];
  const loaded: Record<string, unknown> = {};
  for (const [field, after] of now) {
    const before = then.get(field) ?? null;
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    loaded[field] = before;
    fields.push(
      field === 'body'
        ? { field: 'description', before: textSize(before, ''), after: textSize(after, ', edited') }
        : { field, before: shown(before), after: shown(after) },
    );
  }
  return { fields, by: [...new Set(writes.map((write) => write.by))], loaded };
}

function objectOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function shown(value: unknown): string {
  const text =
    value === null || value === undefined
      ? '(none)'
      : typeof value === 'string'
        ? value
        : Array.isArray(value) && value.every((item) => typeof item === 'string')
          ? value.join(', ') || '(none)'
          : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** The description is long: its size is shown, not its text (the story page shows the text). */
function textSize(value: unknown, note: string): string {
  return typeof value === 'string' ? `${value.length} characters${note}` : '(none)';
}
