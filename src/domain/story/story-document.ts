// Lossless story documents. The frontmatter is parsed with the YAML 1.2 core schema keeping
// source ranges; a change rewrites only the bytes of the changed key. Every edited or rendered
// text is read back and must give exactly the intended fields and body; if not, the values are
// written again as double-quoted strings, and if that fails too the change is refused.
import { Buffer } from 'node:buffer';
import { loneSurrogateByteOffset } from '../bytes/utf8.js';
import { editFrontmatter } from './edit-frontmatter.js';
import { jsonEqual } from './json-equal.js';
import type { JsonValue } from './json-value.js';
import {
  FRONTMATTER_LIMITS,
  type ParsedFrontmatter,
  parseFrontmatter,
  setField,
} from './parse-frontmatter.js';
import { copyJson, memoByText } from './read-cache.js';
import { renderYamlMapping } from './render-yaml-mapping.js';
import { type StoryLayout, splitStoryDocument } from './split-story-document.js';
import { StoryDocumentError } from './story-document-error.js';
import { KNOWN_STORY_FIELDS, validateStoryFields } from './validate-story-fields.js';

export type { JsonValue } from './json-value.js';

/** A parsed user story: markdown with YAML frontmatter. */
export interface StoryDocument {
  /** The exact input text. */
  text: string;
  /** The frontmatter as plain JSON values, in source key order. */
  fields: Record<string, JsonValue>;
  /** Everything after the closing `---` line, less one blank separator line if present. */
  body: string;
}

interface StoryParts {
  layout: StoryLayout;
  frontmatter: ParsedFrontmatter;
  body: string;
}

/** What one story document may hold (docs/story-documents.md, "Limits"). */
export const STORY_DOCUMENT_LIMITS = {
  /** The whole document, in UTF-8 bytes. */
  documentBytes: 1_048_576,
  /** The frontmatter block, in UTF-8 bytes. */
  frontmatterBytes: 262_144,
  ...FRONTMATTER_LIMITS,
} as const;

/**
 * Reads the structure (frontmatter block, YAML, body) without checking the story fields.
 * Every document within the limits may be kept, so a stored story is parsed once and then
 * answered from here while it is among the recently read ones (the memory is bounded by
 * the total characters kept).
 */
const readStory = memoByText(
  { entries: 4096, chars: 8_000_000, maxTextChars: STORY_DOCUMENT_LIMITS.documentBytes },
  readStoryText,
  copyParts,
);

/** A cached read with its own fields and lines (the YAML nodes are only ever read). */
function copyParts(parts: StoryParts): StoryParts {
  const { frontmatter } = parts;
  return {
    ...parts,
    frontmatter: {
      ...frontmatter,
      fields: copyJson(frontmatter.fields),
      lines: { ...frontmatter.lines },
    },
  };
}

function overLimit(what: string, bytes: number, limit: number): StoryDocumentError {
  return new StoryDocumentError([
    { message: `${what} is ${bytes} bytes, over the limit of ${limit} bytes` },
  ]);
}

function readStoryText(text: string): StoryParts {
  const { documentBytes, frontmatterBytes } = STORY_DOCUMENT_LIMITS;
  if (text.length > documentBytes / 3) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > documentBytes) throw overLimit('the document', bytes, documentBytes);
  }
  // A JSON string may hold a lone surrogate (`"\ud800"`), which no UTF-8 byte can store: it
  // would be written as U+FFFD, so it is refused like bytes that are not UTF-8.
  const surrogate = loneSurrogateByteOffset(text);
  if (surrogate !== undefined) {
    throw new StoryDocumentError([
      {
        message: `not valid UTF-8: a lone surrogate (an unpaired \\ud800-\\udfff escape) at byte offset ${surrogate}`,
      },
    ]);
  }
  const layout = splitStoryDocument(text);
  const source = text.slice(layout.frontmatterStart, layout.frontmatterEnd);
  if (source.length > frontmatterBytes / 3) {
    const bytes = Buffer.byteLength(source, 'utf8');
    if (bytes > frontmatterBytes) throw overLimit('the frontmatter', bytes, frontmatterBytes);
  }
  return {
    layout,
    frontmatter: parseFrontmatter(source, 1),
    body: text.slice(layout.bodyStart),
  };
}

function tryReadStory(text: string): StoryParts | undefined {
  try {
    return readStory(text);
  } catch (error) {
    if (error instanceof StoryDocumentError) return undefined;
    throw error;
  }
}

function throwIfInvalid(fields: Record<string, JsonValue>, lines?: Record<string, number>) {
  const issues = validateStoryFields(fields, lines);
  if (issues.length > 0) throw new StoryDocumentError(issues);
}

/**
 * Parses a story document. Throws StoryDocumentError (issues name line and field) for a
 * missing or unclosed frontmatter block, YAML syntax errors, frontmatter that is not a
 * mapping, duplicate keys and invalid story fields.
 */
export function parseStoryDocument(text: string): StoryDocument {
  const { frontmatter, body } = readStory(text);
  throwIfInvalid(frontmatter.fields, frontmatter.lines);
  return { text, fields: frontmatter.fields, body };
}

const toEol = (text: string, eol: string): string =>
  eol === '\n' ? text : text.replace(/\n/g, eol);

function buildText(
  text: string,
  story: StoryParts,
  changes: ReadonlyArray<readonly [string, JsonValue | undefined]>,
  expected: Record<string, JsonValue>,
  body: string | undefined,
  safe: boolean,
): string {
  const { layout } = story;
  const frontmatter =
    editFrontmatter(story.frontmatter, changes, layout.eol, safe) ??
    toEol(renderYamlMapping(Object.entries(expected), { safe }), layout.eol);
  const head =
    text.slice(0, layout.frontmatterStart) +
    frontmatter +
    text.slice(layout.frontmatterEnd, layout.closeEnd);
  if (body === undefined) return head + text.slice(layout.closeEnd);
  if (!layout.closeHasEol) return body === '' ? head : head + layout.eol + layout.eol + body;
  const needsSeparator = layout.separator === '' && /^\r?\n/.test(body);
  return head + (needsSeparator ? layout.eol : layout.separator) + body;
}

/**
 * Returns the new document text. A field set to a value replaces only that key's line(s),
 * keeping its position and style; `undefined` removes the key's lines; a new key is appended
 * as the last frontmatter line(s); `body` replaces the body keeping the separator convention.
 * Untouched bytes stay identical. Throws StoryDocumentError if the result would be invalid.
 */
export function updateStoryDocument(
  text: string,
  changes: { fields?: Record<string, JsonValue | undefined>; body?: string },
): string {
  return editStoryDocument(text, changes).document.text;
}

/** What editStoryDocument answers. */
export interface StoryEdit {
  /** The new document: the text updateStoryDocument writes, as parseStoryDocument reads it. */
  document: StoryDocument;
  /**
   * The edited document as parseStoryDocument(text) answers it, when the edit changed it and
   * its fields are a valid story (otherwise undefined: parseStoryDocument tells what is wrong).
   */
  previous?: StoryDocument;
}

/**
 * updateStoryDocument answering the new document parsed: the same text, fields and body that
 * parseStoryDocument answers for it (the edit reads its result back and checks it anyway, so
 * the caller need not parse it again), and the document it edited, parsed too. Unchanged, the
 * new document is `text` parsed.
 */
export function editStoryDocument(
  text: string,
  changes: { fields?: Record<string, JsonValue | undefined>; body?: string },
): StoryEdit {
  const story = readStory(text);
  const current = story.frontmatter.fields;
  const fieldChanges = Object.entries(changes.fields ?? {}).filter(([key, value]) =>
    Object.hasOwn(current, key)
      ? value === undefined || !jsonEqual(current[key] as JsonValue, value)
      : value !== undefined,
  );
  const expected: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(current)) setField(expected, key, value);
  for (const [key, value] of fieldChanges) {
    if (value === undefined) delete expected[key];
    else setField(expected, key, value);
  }
  const body = changes.body === story.body ? undefined : changes.body;
  const expectedBody = body ?? story.body;

  let written: StoryParts | undefined;
  let result = text;
  if (fieldChanges.length > 0 || body !== undefined) {
    for (const safe of [false, true]) {
      result = buildText(text, story, fieldChanges, expected, body, safe);
      const reread = tryReadStory(result);
      if (
        reread &&
        jsonEqual(reread.frontmatter.fields, expected) &&
        reread.body === expectedBody
      ) {
        written = reread;
        break;
      }
    }
  } else {
    written = story;
  }
  // `expected` equals the fields read back (keys in the same order), so it is their check.
  throwIfInvalid(expected, written?.frontmatter.lines ?? story.frontmatter.lines);
  if (written === undefined) {
    const field = fieldChanges[0]?.[0];
    const message = 'the change cannot be written so that the document reads back as intended';
    throw new StoryDocumentError([field === undefined ? { message } : { field, message }]);
  }
  const document = { text: result, fields: written.frontmatter.fields, body: written.body };
  if (written === story) return { document };
  // `story` is this call's own copy (`expected`, which shares its values, is dropped here).
  const { fields, lines } = story.frontmatter;
  if (validateStoryFields(fields, lines).length > 0) return { document };
  return { document, previous: { text, fields, body: story.body } };
}

function orderFields(fields: Record<string, JsonValue>): Record<string, JsonValue> {
  const known: readonly string[] = KNOWN_STORY_FIELDS;
  const ordered: Record<string, JsonValue> = {};
  for (const key of known) {
    if (Object.hasOwn(fields, key)) setField(ordered, key, fields[key] as JsonValue);
  }
  for (const [key, value] of Object.entries(fields)) {
    if (!known.includes(key)) setField(ordered, key, value);
  }
  return ordered;
}

/**
 * A brand-new document: known fields in canonical order first, then the others in the given
 * order, as `---\n<yaml>---\n\n<body>`, with a trailing newline added to a non-empty body that
 * lacks one. Throws StoryDocumentError if the fields are not a valid story.
 */
export function renderStoryDocument(fields: Record<string, JsonValue>, body: string): string {
  const ordered = orderFields(fields);
  const ending = body === '' || body.endsWith('\n') ? '' : '\n';
  let written: StoryParts | undefined;
  let text = '';
  for (const safe of [false, true]) {
    text = `---\n${renderYamlMapping(Object.entries(ordered), { safe })}---\n\n${body}${ending}`;
    const reread = tryReadStory(text);
    if (reread && jsonEqual(reread.frontmatter.fields, ordered) && reread.body === body + ending) {
      written = reread;
      break;
    }
  }
  throwIfInvalid(ordered, written?.frontmatter.lines);
  if (written === undefined) {
    throw new StoryDocumentError([
      { message: 'the fields cannot be written so that the document reads back as given' },
    ]);
  }
  return text;
}
