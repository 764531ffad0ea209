// The shapes StoryService takes and answers (its JSON form, pages, import results, changes), and
// the JSON form made of a stored story.
import type { AuditContext } from '../domain/audit/audit-context.js';
import {
  type JsonValue,
  parseStoryDocument,
  type StoryDocument,
} from '../domain/story/story-document.js';
import type { StoryRecord } from '../storage/store.js';

/** A story's JSON form: its frontmatter fields at the top level plus `body` and `version`. */
export type StoryJson = Record<string, JsonValue> & {
  id: string;
  title: string;
  status: string;
  body: string;
  version: number;
};

export interface StoryPage {
  items: StoryJson[];
  nextCursor: string | null;
}

export interface ListStoriesInput {
  status?: string;
  epic?: string;
  label?: string;
  q?: string;
  cursor?: string;
  limit?: number;
}

export type ImportAction = 'created' | 'updated' | 'unchanged';

export interface ImportResult {
  id: string;
  action: ImportAction;
  version: number;
}

/** A story's document changed (what its audit entry says): for hooks run in the same transaction. */
export interface StoryChange {
  id: string;
  /** The changed fields (and `body`) before and after. */
  before: Record<string, JsonValue>;
  after: Record<string, JsonValue>;
  context: AuditContext;
}

/**
 * The JSON forms of stored stories. A record just written is remembered with its document as
 * the write parsed it, and its first JSON form takes that instead of parsing the text again (a
 * big import overflows the parse cache before its audit entries are made).
 */
export class StoryJsonForms {
  private readonly written = new WeakMap<StoryRecord, StoryDocument>();

  remember(record: StoryRecord, document: StoryDocument): void {
    this.written.set(record, document);
  }

  of(record: StoryRecord): StoryJson {
    const known = this.written.get(record);
    if (known !== undefined) this.written.delete(record);
    const { fields, body } =
      known !== undefined && known.text === record.document
        ? known
        : parseStoryDocument(record.document);
    return {
      ...fields,
      id: record.id,
      status: fields.status ?? record.status,
      body,
      version: record.version,
    } as StoryJson;
  }
}
