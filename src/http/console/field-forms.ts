// How the story page's form shows and reads each frontmatter field: text and numbers in a text
// box, lists of text comma-separated, and everything else — mappings such as emit_metadata,
// booleans, lists of other things — as YAML in a text area, read back with the same `yaml`
// library the documents are parsed with. Browsers send a text area's lines with CR LF; a value
// is compared with what the page showed after folding those, so an untouched field is not sent.
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ProblemError } from '../../errors/problem-error.js';
import type { StoryJson } from '../../services/story-service.js';

export type FieldKind = 'text' | 'number' | 'list' | 'yaml';

/** The longest value a text box takes, and a YAML text area. */
export const MAX_FIELD_CHARS: Record<FieldKind, number> = {
  text: 2000,
  number: 2000,
  list: 2000,
  yaml: 10_000,
};

const NOT_EDITED_HERE = ['id', 'status', 'body', 'version'];

/** Whether a field's value is a list of strings (labels, dependencies, …): edited comma-separated. */
export function isTextList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

export function fieldKind(value: unknown): FieldKind {
  if (typeof value === 'string' || value === null) return 'text';
  if (typeof value === 'number') return 'number';
  if (isTextList(value)) return 'list';
  return 'yaml';
}

/** A field's value as its form shows it (null as an empty text box). */
export function formValue(value: unknown): string {
  switch (fieldKind(value)) {
    case 'text':
      return value === null ? '' : String(value);
    case 'number':
      return String(value);
    case 'list':
      return (value as string[]).join(', ');
    case 'yaml':
      return stringifyYaml(value).trimEnd();
  }
}

/** The frontmatter fields a person edits on the story page, each with the value its form shows. */
export function editableFields(story: StoryJson): [string, string][] {
  return Object.entries(story)
    .filter(([key]) => !NOT_EDITED_HERE.includes(key))
    .map(([key, value]) => [key, formValue(value)]);
}

/** What a form sent for a field, as the page would have shown it (CR LF folded, end trimmed). */
export function sentFormValue(kind: FieldKind, sent: string): string {
  return kind === 'yaml' ? sent.replace(/\r\n?/g, '\n').trimEnd() : sent;
}

/**
 * The value to store for what the form sent in `key`, whose stored value is `current`; a YAML
 * text area that does not parse is refused naming the field.
 */
export function fieldFromForm(key: string, current: unknown, sent: string): unknown {
  const kind = fieldKind(current);
  if (kind === 'list') {
    return sent
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }
  if (kind === 'number' && /^-?\d+(\.\d+)?$/.test(sent.trim())) return Number(sent.trim());
  if (kind !== 'yaml') return sent;
  try {
    return parseYaml(sentFormValue(kind, sent), { maxAliasCount: 10 }) ?? null;
  } catch (error) {
    throw new ProblemError(
      'bad-request',
      `${key} is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}
