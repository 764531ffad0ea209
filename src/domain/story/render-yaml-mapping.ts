import { Document, isMap, isScalar, isSeq, Pair, Scalar, YAMLMap } from 'yaml';
import type { JsonValue } from './json-value.js';
import { TextCache } from './read-cache.js';

/** How the value a field had was written, to write its new value the same way. */
export interface ValueStyle {
  /** Scalar style of the old value; applied to a new string value where it fits. */
  scalarType?: Scalar.Type | undefined;
  /** Whether an old list was in flow style (`[a, b]`); lists of scalars default to flow. */
  flow?: boolean | undefined;
}

export interface RenderOptions {
  /** Double-quote every string: the fallback when a nicer style does not read back. */
  safe?: boolean;
  /** Indentation of nested block content, relative to its key. */
  indent?: number;
  /** Whether block list items are indented under their key (`true`) or level with it. */
  indentSeq?: boolean;
}

function styleNode(node: unknown, style: ValueStyle | undefined, inFlow: boolean, safe: boolean) {
  if (isScalar(node)) {
    if (typeof node.value !== 'string') return;
    const multiline = node.value.includes('\n');
    const type = style?.scalarType;
    // A quoted string that spans lines is clearer as one double-quoted line with `\n`.
    if (safe || (multiline && (inFlow || type === Scalar.QUOTE_SINGLE))) {
      node.type = Scalar.QUOTE_DOUBLE;
    } else if (type === Scalar.QUOTE_DOUBLE || type === Scalar.QUOTE_SINGLE) node.type = type;
    else if (type === Scalar.PLAIN && !multiline) node.type = type;
    else if ((type === Scalar.BLOCK_LITERAL || type === Scalar.BLOCK_FOLDED) && multiline) {
      node.type = type;
    }
  } else if (isSeq(node)) {
    const scalars = node.items.every((item) => isScalar(item));
    node.flow = inFlow || node.items.length === 0 || (scalars && (style?.flow ?? true));
    for (const item of node.items) styleNode(item, undefined, node.flow, safe);
  } else if (isMap(node)) {
    node.flow = inFlow || node.items.length === 0;
    for (const pair of node.items) styleNode(pair.value, undefined, inFlow, safe);
  }
}

/**
 * Writes a YAML block mapping of the given entries, one top-level key after another, with
 * `\n` line endings: flow lists of scalars, block mappings, plain scalars where YAML reads
 * them back as the same value and quoted ones otherwise, multi-line strings as block scalars.
 */
export function renderYamlMapping(
  entries: ReadonlyArray<readonly [string, JsonValue, ValueStyle?]>,
  options: RenderOptions = {},
): string {
  // Edits render one small field at a time, mostly the same few (`status: in_review`): those
  // renderings are remembered.
  const key = cacheKeyOf(entries, options);
  if (key === undefined) return renderUncached(entries, options);
  const hit = renderings.get(key);
  if (hit !== undefined) return hit;
  const text = renderUncached(entries, options);
  renderings.set(key, text);
  return text;
}

const MAX_KEY_CHARS = 2048;
const renderings = new TextCache<string>({
  entries: 2048,
  chars: 1_000_000,
  maxTextChars: MAX_KEY_CHARS,
});

/**
 * The JSON of the arguments, which tells apart every input JSON can represent (key order and
 * own `__proto__` keys included); undefined for big inputs and for numbers JSON cannot write
 * (YAML's .nan and .inf, -0).
 */
function cacheKeyOf(entries: unknown, options: RenderOptions): string | undefined {
  if (!writesExactly(entries) || !writesExactly(options)) return undefined;
  const key = JSON.stringify([entries, options]);
  return key.length <= MAX_KEY_CHARS ? key : undefined;
}

/** Whether JSON writes every number in `value` as itself (not NaN, ±Infinity or -0). */
function writesExactly(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every(writesExactly);
  for (const key in value) {
    if (Object.hasOwn(value, key) && !writesExactly((value as Record<string, unknown>)[key])) {
      return false;
    }
  }
  return true;
}

function renderUncached(
  entries: ReadonlyArray<readonly [string, JsonValue, ValueStyle?]>,
  options: RenderOptions,
): string {
  const safe = options.safe ?? false;
  const doc = new Document(null, { schema: 'core', version: '1.2' });
  const map = new YAMLMap();
  for (const [key, value, style] of entries) {
    const node = doc.createNode(value);
    styleNode(node, style, false, safe);
    map.items.push(new Pair(doc.createNode(key), node));
  }
  doc.contents = map;
  return doc.toString({
    lineWidth: 0,
    minContentWidth: 0,
    flowCollectionPadding: false,
    indent: Math.max(1, options.indent ?? 2),
    indentSeq: options.indentSeq ?? true,
    doubleQuotedAsJSON: true,
  });
}
