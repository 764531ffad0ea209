import { isMap, isScalar, type Pair, type ParsedNode, parseDocument, type YAMLMap } from 'yaml';
import type { JsonValue } from './json-value.js';
import { StoryDocumentError, type StoryIssue } from './story-document-error.js';

/** One top-level `key: value` pair of the frontmatter. */
export interface FrontmatterEntry {
  key: string;
  pair: Pair<ParsedNode, ParsedNode | null>;
  /** Offsets of the key in the frontmatter source. */
  keyStart: number;
  keyEnd: number;
}

/** The frontmatter read with the YAML 1.2 core schema, with source positions kept. */
export interface ParsedFrontmatter {
  source: string;
  map: YAMLMap.Parsed;
  entries: FrontmatterEntry[];
  fields: Record<string, JsonValue>;
  /** Field name → 1-based document line of its key. */
  lines: Record<string, number>;
}

/** Sets an own property, also for names such as `__proto__`. */
export function setField<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function toJson(value: unknown): JsonValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    const items: JsonValue[] = [];
    for (const item of value) {
      const json = toJson(item);
      if (json === undefined) return undefined;
      items.push(json);
    }
    return items;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const result: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) {
      const json = toJson(item);
      if (json === undefined) return undefined;
      setField(result, key, json);
    }
    return result;
  }
  return undefined;
}

/**
 * Parses frontmatter YAML. `lineOffset` is the number of document lines before it.
 * Throws StoryDocumentError for syntax errors, a non-mapping, duplicate keys and values
 * that are not JSON (such as `.nan`).
 */
export function parseFrontmatter(source: string, lineOffset: number): ParsedFrontmatter {
  const lineAt = (offset: number): number => {
    let line = lineOffset + 1;
    for (let index = source.indexOf('\n'); index !== -1 && index < offset; ) {
      line += 1;
      index = source.indexOf('\n', index + 1);
    }
    return line;
  };
  const doc = parseDocument(source, {
    schema: 'core',
    version: '1.2',
    prettyErrors: false,
    uniqueKeys: true,
  });
  const contents = doc.contents;
  const map = isMap(contents) ? contents : undefined;
  const fieldAt = (offset: number): FrontmatterEntry | undefined =>
    entriesOf(map).find(({ keyStart, pair }) => {
      const end = Math.max(pair.value?.range[1] ?? 0, pair.key.range[1]);
      return keyStart <= offset && offset <= end;
    });

  const syntaxIssues = doc.errors.map((error): StoryIssue => {
    const offset = error.pos[0];
    const entry = fieldAt(offset);
    const duplicate = error.code === 'DUPLICATE_KEY' && entry?.keyStart === offset;
    const message = duplicate ? `duplicate key "${entry.key}"` : error.message;
    return entry === undefined
      ? { line: lineAt(offset), message }
      : { field: entry.key, line: lineAt(offset), message };
  });
  if (syntaxIssues.length > 0) throw new StoryDocumentError(syntaxIssues);
  if (map === undefined) {
    const offset = contents?.range[0] ?? 0;
    throw new StoryDocumentError([
      { line: lineAt(offset), message: 'the frontmatter must be a YAML mapping of fields' },
    ]);
  }

  const entries = entriesOf(map);
  const issues: StoryIssue[] = [];
  const fields: Record<string, JsonValue> = {};
  const lines: Record<string, number> = {};
  for (const item of map.items) {
    if (!isScalar(item.key)) {
      const offset = (item.key as ParsedNode | null)?.range[0] ?? 0;
      issues.push({ line: lineAt(offset), message: 'frontmatter keys must be plain scalars' });
    }
  }
  for (const entry of entries) {
    const line = lineAt(entry.keyStart);
    if (Object.hasOwn(fields, entry.key)) {
      issues.push({ field: entry.key, line, message: `duplicate key "${entry.key}"` });
      continue;
    }
    let value: JsonValue | undefined;
    try {
      value = toJson(entry.pair.value === null ? null : entry.pair.value.toJS(doc));
    } catch (error) {
      issues.push({ field: entry.key, line, message: (error as Error).message });
      continue;
    }
    if (value === undefined) {
      issues.push({
        field: entry.key,
        line,
        message: 'the value is not representable as JSON (such as .nan or .inf)',
      });
      continue;
    }
    setField(fields, entry.key, value);
    setField(lines, entry.key, line);
  }
  if (issues.length > 0) throw new StoryDocumentError(issues);
  return { source, map, entries, fields, lines };
}

function entriesOf(map: YAMLMap.Parsed | undefined): FrontmatterEntry[] {
  const entries: FrontmatterEntry[] = [];
  for (const pair of map?.items ?? []) {
    const key = pair.key;
    if (!isScalar(key)) continue;
    entries.push({
      key: typeof key.value === 'string' ? key.value : String(key.value),
      pair: pair as Pair<ParsedNode, ParsedNode | null>,
      keyStart: key.range[0],
      keyEnd: key.range[1],
    });
  }
  return entries;
}
