import { isMap, isScalar, isSeq, type ParsedNode, Scalar } from 'yaml';
import type { JsonValue } from './json-value.js';
import type { FrontmatterEntry, ParsedFrontmatter } from './parse-frontmatter.js';
import { type RenderOptions, renderYamlMapping, type ValueStyle } from './render-yaml-mapping.js';

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Where a top-level pair sits in the frontmatter source. */
interface PairSpan {
  /** Start of the key's line. */
  lineStart: number;
  /** Offset of the `:` after the key. */
  colon: number;
  /** Just after the line ending of the pair's last line. */
  end: number;
  /** Column of the key. */
  column: number;
}

const lineStartOf = (source: string, offset: number): number =>
  source.lastIndexOf('\n', offset - 1) + 1;

const lineEndOf = (source: string, offset: number): number => {
  const newline = source.indexOf('\n', offset);
  return newline === -1 ? source.length : newline;
};

function spanOf(source: string, entry: FrontmatterEntry): PairSpan | undefined {
  const lineStart = lineStartOf(source, entry.keyStart);
  if (source.slice(lineStart, entry.keyStart).trim() !== '') return undefined;
  let colon = entry.keyEnd;
  while (source[colon] === ' ' || source[colon] === '\t') colon += 1;
  if (source[colon] !== ':') return undefined;
  const valueEnd = entry.pair.value?.range[1] ?? colon + 1;
  const lastLineEnd = lineEndOf(source, Math.max(valueEnd - 1, colon));
  const end = Math.min(source.length, lastLineEnd + 1);
  return { lineStart, colon, end, column: entry.keyStart - lineStart };
}

const isBlockScalar = (node: ParsedNode): boolean =>
  isScalar(node) && (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED);

/** Whether the old value is written on the key's line (a scalar or flow collection). */
function startsOnKeyLine(source: string, node: ParsedNode | null, colon: number): boolean {
  if (node === null) return true;
  const between = source.slice(colon + 1, node.range[0]);
  return between.trim() === '' && !between.includes('\n');
}

/** How the old value was written: scalar style, list flow/block style, block indentation. */
function styleOf(source: string, node: ParsedNode | null, keyColumn: number) {
  const style: ValueStyle = {};
  const options: RenderOptions = {};
  if (node === null) return { style, options };
  if (isScalar(node)) style.scalarType = node.type;
  if ((isSeq(node) || isMap(node)) && !node.flow && node.items.length > 0) {
    const column = node.range[0] - lineStartOf(source, node.range[0]);
    if (isSeq(node)) {
      options.indentSeq = column > keyColumn;
      if (column > keyColumn) options.indent = column - keyColumn;
    } else if (column > keyColumn) {
      options.indent = column - keyColumn;
    }
  }
  if (isSeq(node)) style.flow = node.flow ?? false;
  return { style, options };
}

/** A `# comment` at the end of the key's line (or of an inline value's last line). */
function trailingComment(source: string, node: ParsedNode | null, colon: number): string {
  if (node !== null && isBlockScalar(node)) return '';
  const from = node !== null && startsOnKeyLine(source, node, colon) ? node.range[1] : colon + 1;
  const rest = source.slice(from, lineEndOf(source, from)).replace(/\r$/, '');
  const match = /^([ \t]*)(#.*)$/.exec(rest);
  return match === null ? '' : `${match[1] || ' '}${match[2]}`;
}

/** Indents the block lines of a rendered value under a key at `column`, with `eol` endings. */
function blockLines(text: string, column: number, eol: string): string {
  if (text === '') return '';
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.map((line) => (line === '' ? '' : ' '.repeat(column) + line) + eol).join('');
}

function replacement(
  source: string,
  entry: FrontmatterEntry,
  span: PairSpan,
  value: JsonValue,
  eol: string,
  safe: boolean,
): Edit {
  const old = entry.pair.value;
  const { style, options } = styleOf(source, old, span.column);
  const rendered = renderYamlMapping([['k', value, style]], { ...options, safe }).slice(
    'k:'.length,
  );
  const newline = rendered.indexOf('\n');
  const first = rendered.slice(0, newline);
  const rest = rendered.slice(newline + 1);
  const oldInline =
    old !== null &&
    old.range[0] < old.range[1] &&
    !isBlockScalar(old) &&
    startsOnKeyLine(source, old, span.colon);
  if (!safe && oldInline && rest === '' && first.startsWith(' ')) {
    return { start: old.range[0], end: old.range[1], text: first.slice(1) };
  }
  const ending = source.slice(span.colon, span.end).endsWith('\n') ? eol : '';
  const comment = trailingComment(source, old, span.colon);
  return {
    start: span.colon + 1,
    end: span.end,
    text: first + comment + ending + blockLines(rest, span.column, eol),
  };
}

/**
 * Rewrites only the lines of the changed top-level keys: `undefined` removes a key, an
 * existing key keeps its position, a new key is appended. Returns undefined when the
 * frontmatter is laid out in a way this editor does not handle (e.g. a flow mapping).
 */
export function editFrontmatter(
  frontmatter: ParsedFrontmatter,
  changes: ReadonlyArray<readonly [string, JsonValue | undefined]>,
  eol: string,
  safe: boolean,
): string | undefined {
  const { source, map } = frontmatter;
  if (map.flow) return undefined;
  const first = frontmatter.entries[0];
  const column = first === undefined ? 0 : first.keyStart - lineStartOf(source, first.keyStart);
  const byKey = new Map<string, FrontmatterEntry>();
  for (const entry of frontmatter.entries) if (!byKey.has(entry.key)) byKey.set(entry.key, entry);
  const edits: Edit[] = [];
  let appended = '';
  for (const [key, value] of changes) {
    const entry = byKey.get(key);
    if (entry === undefined) {
      if (value !== undefined) {
        appended += blockLines(renderYamlMapping([[key, value]], { safe }), column, eol);
      }
      continue;
    }
    const span = spanOf(source, entry);
    if (span === undefined) return undefined;
    edits.push(
      value === undefined
        ? { start: span.lineStart, end: span.end, text: '' }
        : replacement(source, entry, span, value, eol, safe),
    );
  }
  // The edits do not overlap (one per key): the result is assembled once, in source order.
  const pieces: string[] = [];
  let at = 0;
  for (const edit of edits.sort((a, b) => a.start - b.start)) {
    pieces.push(source.slice(at, edit.start), edit.text);
    at = edit.end;
  }
  pieces.push(source.slice(at));
  const result = pieces.join('');
  const needsEol = result !== '' && !result.endsWith('\n') && appended !== '';
  return result + (needsEol ? eol : '') + appended;
}
