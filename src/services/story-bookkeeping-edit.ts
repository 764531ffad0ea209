// The format's own bookkeeping added to a status change made in storyflow (last_updated, the
// lifecycle lines; domain/story/story-bookkeeping.ts decides the lines).
import type { AuditContext } from '../domain/audit/audit-context.js';
import { bookkeepingEdit, type StoryBookkeeping } from '../domain/story/story-bookkeeping.js';
import {
  editStoryDocument,
  parseStoryDocument,
  type StoryEdit,
} from '../domain/story/story-document.js';
import type { StoryRecord } from '../storage/store.js';
import { documentOrProblem } from './story-problems.js';

/**
 * A change that moves the story to another status, with the document's bookkeeping added
 * (story-bookkeeping.ts): the one place every status change made in storyflow passes.
 */
export function withBookkeeping(
  current: StoryRecord,
  changed: string | StoryEdit,
  context: AuditContext,
  at: Date,
  bookkeeping: StoryBookkeeping,
): string | StoryEdit {
  const edit =
    typeof changed === 'string' ? documentOrProblem(() => editStoryDocument(changed, {})) : changed;
  const { document } = edit;
  const to = document.fields.status;
  if (typeof to !== 'string' || to === current.status) return changed;
  const previous = edit.previous ?? parseStoryDocument(current.document);
  const now = at.toISOString();
  const extra = bookkeepingEdit(
    document,
    previous.fields.last_updated,
    { from: current.status, to, date: now.slice(0, 10), person: lifecyclePerson(context) },
    bookkeeping,
  );
  if (extra === undefined) return changed;
  const kept = documentOrProblem(() => editStoryDocument(document.text, extra));
  return edit.previous === undefined ? kept : { ...kept, previous: edit.previous };
}

/** Who a lifecycle line names: the event's person or login, else the actor's name. */
function lifecyclePerson(context: AuditContext): string {
  const { actor } = context;
  return (
    context.personName ??
    actor.person ??
    actor.login?.replace(/^[^:]*:/, '') ??
    actor.name ??
    actor.id ??
    'storyflow'
  );
}
