// The format's own bookkeeping (docs/story-documents.md, "Bookkeeping"): when storyflow changes a
// story's status, `last_updated` takes the date of the change and the body's "Story Lifecycle"
// lines are filled in — `Started: <date> by <person>` the first time the story enters
// in_progress, `Completed: <date>` at done, `Accepted: <date>` at accepted. Only the keys and
// lines a document already has are touched, each rewritten alone (its list marker, trailing
// spaces and line ending kept).
import type { JsonValue } from './json-value.js';

/** Which bookkeeping storyflow does (`stories.bookkeeping:` in the config); all on by default. */
export interface StoryBookkeeping {
  readonly lastUpdated: boolean;
  readonly started: boolean;
  readonly completed: boolean;
  readonly accepted: boolean;
}

export const DEFAULT_STORY_BOOKKEEPING: StoryBookkeeping = Object.freeze({
  lastUpdated: true,
  started: true,
  completed: true,
  accepted: true,
});

export interface StatusChange {
  /** The status before and after the change. */
  from: string;
  to: string;
  /** When it happened, as the UTC date `YYYY-MM-DD`. */
  date: string;
  /** Who made it, as the Started line names them. */
  person: string;
}

/** The edit to make on top of a status change, for editStoryDocument; undefined: none. */
export interface BookkeepingEdit {
  fields?: Record<string, JsonValue>;
  body?: string;
}

/** The longest person name written into a Started line, in characters. */
const PERSON_LIMIT = 100;

const LIFECYCLE_HEADING = /story lifecycle/i;
const DATE = /^\d{4}-\d{2}-\d{2}\b/;

/**
 * The bookkeeping edit for `document` (the story as the status change left it), whose
 * `last_updated` was `previousLastUpdated` before the change: a change that set last_updated
 * itself keeps its value.
 */
export function bookkeepingEdit(
  document: { fields: Record<string, JsonValue>; body: string },
  previousLastUpdated: JsonValue | undefined,
  change: StatusChange,
  settings: StoryBookkeeping,
): BookkeepingEdit | undefined {
  if (change.from === change.to) return undefined;
  const edit: BookkeepingEdit = {};
  const lastUpdated = document.fields.last_updated;
  if (
    settings.lastUpdated &&
    typeof lastUpdated === 'string' &&
    lastUpdated === previousLastUpdated &&
    lastUpdated !== change.date
  ) {
    edit.fields = { last_updated: change.date };
  }
  const body = fillLifecycleLines(document.body, change, settings);
  if (body !== document.body) edit.body = body;
  return edit.fields === undefined && edit.body === undefined ? undefined : edit;
}

/** Which lifecycle line a status fills, and its new value (undefined: leave it). */
function lineFor(
  label: string,
  current: string,
  change: StatusChange,
  settings: StoryBookkeeping,
): string | undefined {
  switch (label) {
    case 'Started':
      // Only the first time: a line already holding a date was filled before.
      if (!settings.started || change.to !== 'in_progress' || DATE.test(current)) return undefined;
      return `${change.date} by ${personName(change.person)}`;
    case 'Completed':
      return settings.completed && change.to === 'done' ? change.date : undefined;
    case 'Accepted':
      return settings.accepted && change.to === 'accepted' ? change.date : undefined;
    default:
      return undefined;
  }
}

const LIFECYCLE_LINE =
  /^([ \t]*(?:[-*+][ \t]+)?)(Started|Completed|Accepted):([ \t]*)(.*?)([ \t]*\r?)$/;

/**
 * Rewrites the lifecycle lines of the block that follows a "Story Lifecycle" line (up to the
 * first blank line or the end), leaving every other byte of the body as it is.
 */
export function fillLifecycleLines(
  body: string,
  change: StatusChange,
  settings: StoryBookkeeping,
): string {
  const lines = body.split('\n');
  const heading = lines.findIndex((line) => LIFECYCLE_HEADING.test(line));
  if (heading === -1) return body;
  for (let index = heading + 1; index < lines.length; index += 1) {
    const line = lines[index] as string;
    if (line.trim() === '') break;
    const match = LIFECYCLE_LINE.exec(line);
    if (match === null) continue;
    const [, prefix, label, space, current, trailing] = match as unknown as string[];
    const value = lineFor(label as string, current as string, change, settings);
    if (value === undefined || value === current) continue;
    lines[index] = `${prefix}${label}:${space === '' ? ' ' : space}${value}${trailing}`;
  }
  return lines.join('\n');
}

/** A person's name on one line, bounded. */
function personName(person: string): string {
  const name = [...person]
    .map((char) => (char.charCodeAt(0) < 0x20 || char === '\u007f' ? ' ' : char))
    .join('')
    .replace(/ {2,}/g, ' ')
    .trim();
  return name === '' ? 'storyflow' : name.slice(0, PERSON_LIMIT);
}
