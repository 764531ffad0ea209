import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  type ParsedNode,
  parseDocument,
  type YAMLMap,
} from 'yaml';
import type { JsonValue } from './json-value.js';
import { StoryDocumentError, type StoryIssue } from './story-document-error.js';

/**
 * What one frontmatter may hold (docs/story-documents.md, "Limits"). Together with the
 * document size limit they bound the work of reading a document, which is linear in its size.
 */
export const FRONTMATTER_LIMITS = {
  /** Keys in all its mappings, top-level and nested. */
  keys: 20_000,
  /** Mappings and lists inside one another (the top-level mapping is level 1). */
  depth: 32,
  /** `*alias` references (each one is resolved by a walk over the whole frontmatter). */
  aliases: 100,
} as const;

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
  if (key !== '__proto__') {
    target[key] = value; // plain objects: only `__proto__` is not a plain data property
    return;
  }
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

/** 1-based document line of a source offset: the line starts are found once, then searched. */
function lineFinder(source: string, lineOffset: number): (offset: number) => number {
  let starts: number[] | undefined;
  return (offset) => {
    if (starts === undefined) {
      starts = [0];
      for (
        let index = source.indexOf('\n');
        index !== -1;
        index = source.indexOf('\n', index + 1)
      ) {
        starts.push(index + 1);
      }
    }
    // The number of line starts at or before `offset` is its line within the source.
    return (
      lineOffset +
      Math.max(
        countWhere(starts.length, (i) => starts![i]! <= offset),
        1,
      )
    );
  };
}

/** How many of the first `length` indexes satisfy `holds`, which is true up to some index. */
function countWhere(length: number, holds: (index: number) => boolean): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (holds(middle)) low = middle + 1;
    else high = middle;
  }
  return low;
}

interface ShapeProblem {
  offset: number;
  code: 'DUPLICATE_KEY' | 'LIMIT';
  message: string;
}

/**
 * One walk over the composed frontmatter (with a stack, not recursion): duplicate keys of every
 * mapping, found with a set per mapping (what `yaml` does with `uniqueKeys`, but in linear
 * time), and the limits on keys, nesting and aliases.
 */
function checkShape(root: ParsedNode | null): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  if (root === null) return problems;
  let keys = 0;
  let aliases = 0;
  const stack: [Node, number][] = [[root, 1]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, depth] = next;
    if (isAlias(node)) {
      aliases += 1;
      if (aliases === FRONTMATTER_LIMITS.aliases + 1) {
        problems.push({
          offset: node.range?.[0] ?? 0,
          code: 'LIMIT',
          message: `more than ${FRONTMATTER_LIMITS.aliases} aliases (the limit)`,
        });
      }
      continue;
    }
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > FRONTMATTER_LIMITS.depth) {
      problems.push({
        offset: node.range?.[0] ?? 0,
        code: 'LIMIT',
        message: `nested deeper than ${FRONTMATTER_LIMITS.depth} levels (the limit)`,
      });
      continue; // one problem per too-deep branch
    }
    const seen = new Set<unknown>();
    for (const item of node.items as unknown[]) {
      if (!isPair(item)) {
        if (item !== null && typeof item === 'object') stack.push([item as Node, depth + 1]);
        continue;
      }
      keys += 1;
      if (keys === FRONTMATTER_LIMITS.keys + 1) {
        const at = (item.key as Node | null)?.range?.[0] ?? node.range?.[0] ?? 0;
        problems.push({
          offset: at,
          code: 'LIMIT',
          message: `more than ${FRONTMATTER_LIMITS.keys} keys (the limit)`,
        });
      }
      const key = item.key as Node | null;
      // Equal scalar values are duplicates (as `yaml` compares them: NaN is never equal).
      if (isScalar(key) && !Number.isNaN(key.value)) {
        if (seen.has(key.value)) {
          problems.push({
            offset: key.range?.[0] ?? 0,
            code: 'DUPLICATE_KEY',
            message: 'Map keys must be unique',
          });
        } else {
          seen.add(key.value);
        }
      }
      if (key !== null && typeof key === 'object') stack.push([key, depth + 1]);
      const value = item.value as Node | null;
      if (value !== null && typeof value === 'object') stack.push([value, depth + 1]);
    }
  }
  return problems;
}

/**
 * Parses frontmatter YAML. `lineOffset` is the number of document lines before it.
 * Throws StoryDocumentError for syntax errors, a non-mapping, duplicate keys, values
 * that are not JSON (such as `.nan`) and frontmatter over FRONTMATTER_LIMITS. Linear in the
 * size of the source.
 */
export function parseFrontmatter(source: string, lineOffset: number): ParsedFrontmatter {
  const lineAt = lineFinder(source, lineOffset);
  // `uniqueKeys: true` compares each key with every earlier one (quadratic): checkShape finds
  // duplicates instead.
  const doc = parseDocument(source, {
    schema: 'core',
    version: '1.2',
    prettyErrors: false,
    uniqueKeys: false,
  });
  const contents = doc.contents;
  const map = isMap(contents) ? contents : undefined;
  const allEntries = entriesOf(map);
  // The first top-level entry whose key or value holds an offset (in a document with errors
  // their spans may overlap): with the running maximum of the ends, two binary searches.
  const reach: number[] = [];
  for (const { pair } of allEntries) {
    const end = Math.max(pair.value?.range[1] ?? 0, pair.key.range[1]);
    reach.push(Math.max(end, reach[reach.length - 1] ?? end));
  }
  const fieldAt = (offset: number): FrontmatterEntry | undefined => {
    const last = countWhere(allEntries.length, (i) => allEntries[i]!.keyStart <= offset) - 1;
    const first = countWhere(allEntries.length, (i) => reach[i]! < offset);
    return first <= last ? allEntries[first] : undefined;
  };

  const problems: { offset: number; code: string; message: string }[] = doc.errors.map((error) =>
    error.code === 'RESOURCE_EXHAUSTION'
      ? {
          offset: error.pos[0],
          code: 'LIMIT',
          message: `nested deeper than ${FRONTMATTER_LIMITS.depth} levels (the limit)`,
        }
      : { offset: error.pos[0], code: error.code, message: error.message },
  );
  const shape = checkShape(contents);
  if (shape.length > 0) {
    // Duplicates as `yaml` would have reported them (among its other errors, in source order);
    // limits only for a document that is otherwise valid.
    const ok = doc.errors.length === 0;
    problems.push(...shape.filter(({ code }) => ok || code === 'DUPLICATE_KEY'));
    problems.sort((a, b) => a.offset - b.offset);
  }
  const syntaxIssues = problems.map((problem): StoryIssue => {
    const { offset } = problem;
    const entry = fieldAt(offset);
    const duplicate = problem.code === 'DUPLICATE_KEY' && entry?.keyStart === offset;
    const message = duplicate ? `duplicate key "${entry.key}"` : problem.message;
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

  const entries = allEntries;
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
    const node = entry.pair.value;
    try {
      // A scalar's value is what toJS answers for it (toJS keeps it as is), without the
      // context toJS builds for aliases on every call.
      value = toJson(node === null ? null : isScalar(node) ? node.value : node.toJS(doc));
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
