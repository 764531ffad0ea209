// Internal helpers shared by the reference finders: masking the parts of a text that must not be
// read (code, HTML comments, URLs) and locating story ids with their word boundaries.

import { STORY_ID_PATTERN } from '../story/validate-story-fields.js';
import type { ReferenceConfig } from './reference-patterns.js';

/** Replaces masked characters; not a letter, digit, space or punctuation a rule looks for. */
export const MASK = '\uffff';

/** An id prefix: a letter, then 1–9 letters or digits (the story id pattern STORY_ID_SOURCE). */
const PREFIX_SOURCE = '[A-Z][A-Z0-9]{1,9}';
export const STORY_ID_EXACT = STORY_ID_PATTERN;

const WORD_CHAR = /^[\p{L}\p{N}_]$/u;
const ALNUM_CHAR = /^[\p{L}\p{N}]$/u;

/** Decides, for a config, whether an (upper-case) id may be reported. */
export type IdFilter = (id: string) => boolean;

/**
 * What a config's lists compile to (sets, patterns), kept by the lists' text: every commit
 * message of every delivery is scanned with the same few configs, each time a new object.
 */
export function compiledFor<T>(cache: Map<string, T>, key: string, compile: () => T): T {
  let compiled = cache.get(key);
  if (compiled === undefined) {
    if (cache.size >= 32) cache.clear();
    compiled = compile();
    cache.set(key, compiled);
  }
  return compiled;
}

const idFilters = new Map<string, IdFilter>();

export function idFilter(config: ReferenceConfig): IdFilter {
  const key = `${config.prefixes.join('\u0000')}\u0001${config.ignoredPrefixes.join('\u0000')}`;
  return compiledFor(idFilters, key, () => {
    const prefixes = new Set(config.prefixes.map((prefix) => prefix.toUpperCase()));
    const ignored = new Set(config.ignoredPrefixes.map((prefix) => prefix.toUpperCase()));
    return (id) => {
      const prefix = id.slice(0, id.lastIndexOf('-'));
      if (prefixes.size > 0) return prefixes.has(prefix);
      return !ignored.has(prefix);
    };
  });
}

/** The whole character (code point) ending just before `index`, or undefined at the start. */
export function charBefore(text: string, index: number): string | undefined {
  if (index <= 0) return undefined;
  const low = text.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) {
    const high = text.charCodeAt(index - 2);
    if (high >= 0xd800 && high <= 0xdbff) return text.slice(index - 2, index);
  }
  return text[index - 1];
}

/** The whole character (code point) starting at `index`, or undefined at the end. */
export function charAt(text: string, index: number): string | undefined {
  if (index >= text.length) return undefined;
  const point = text.codePointAt(index);
  return point === undefined ? undefined : String.fromCodePoint(point);
}

export function isWordChar(char: string | undefined): boolean {
  return char !== undefined && WORD_CHAR.test(char);
}

function isAlnum(char: string | undefined): boolean {
  return char !== undefined && ALNUM_CHAR.test(char);
}

/** A story id found in free text. */
export interface IdOccurrence {
  id: string;
  start: number;
  end: number;
}

// At most 9 digits, as in a story id: a longer number names no story.
const TEXT_ID = new RegExp(`${PREFIX_SOURCE}-\\d{1,9}(?!\\d)`, 'g');
/** Characters that glue an id to a path, a file name, an e-mail address or a longer word. */
const GLUE_BEFORE = new Set(['-', '.', '/', '\\', '@']);
const GLUE_AFTER = new Set(['-', '.', '/', '\\', '@']);

/** Where a run of `_` (markdown emphasis, `_INT-003_`) before `index` starts. */
function emphasisStart(text: string, index: number): number {
  let start = index;
  while (start > 0 && text[start - 1] === '_') start--;
  return start;
}

/** Where a run of `_` starting at `index` ends. */
function emphasisEnd(text: string, index: number): number {
  let end = index;
  while (end < text.length && text[end] === '_') end++;
  return end;
}

/**
 * Upper-case story ids in (masked) free text that stand on their own: not inside a word
 * (`abcINT-003`, `INT-003abc`, `INT-0x3`), a path or file name (`docs/INT-003.md`), an e-mail
 * address, or a longer dashed identifier (`CVE-2024-1234`, `ISO-8859-1`).
 */
export function findIdOccurrences(masked: string, accept: IdFilter): IdOccurrence[] {
  const found: IdOccurrence[] = [];
  for (const match of masked.matchAll(TEXT_ID)) {
    const start = match.index;
    const end = start + match[0].length;
    const before = charBefore(masked, emphasisStart(masked, start));
    if (isWordChar(before) || (before !== undefined && GLUE_BEFORE.has(before))) continue;
    const after = charAt(masked, emphasisEnd(masked, end));
    if (isWordChar(after)) continue;
    if (after !== undefined && GLUE_AFTER.has(after) && isAlnum(charAt(masked, end + 1))) continue;
    if (!accept(match[0])) continue;
    found.push({ id: match[0], start, end });
  }
  return found;
}

function maskRange(chars: string[], start: number, end: number): void {
  for (let index = start; index < end; index++) {
    const char = chars[index];
    if (char !== '\n' && char !== '\r') chars[index] = MASK;
  }
}

/** A line of a text, with its offsets (the end excludes the line break). */
export interface Line {
  start: number;
  end: number;
  text: string;
}

export function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (;;) {
    const newline = text.indexOf('\n', start);
    const rawEnd = newline === -1 ? text.length : newline;
    const end = rawEnd > start && text[rawEnd - 1] === '\r' ? rawEnd - 1 : rawEnd;
    lines.push({ start, end, text: text.slice(start, end) });
    if (newline === -1) return lines;
    start = newline + 1;
  }
}

/** An opening code fence: up to 3 spaces, then 3 or more backticks or tildes, then an info string. */
export const FENCE_OPEN = /^( {0,3})(`{3,}|~{3,})([^`]*)$/;

/** Whether `line` closes a fence opened with `fence` (same character, at least as long). */
export function closesFence(line: string, fence: string): boolean {
  const match = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
  return match?.[1] !== undefined && match[1][0] === fence[0] && match[1].length >= fence.length;
}

/** Masks fenced code blocks (an unclosed fence runs to the end of the text, as in CommonMark). */
function maskFencedCode(text: string, chars: string[]): void {
  let open: { fence: string; start: number } | undefined;
  for (const line of splitLines(text)) {
    if (open === undefined) {
      const match = FENCE_OPEN.exec(line.text);
      const fence = match?.[2];
      if (fence !== undefined && !(fence[0] === '`' && match?.[3]?.includes('`'))) {
        open = { fence, start: line.start };
      }
    } else if (closesFence(line.text, open.fence)) {
      maskRange(chars, open.start, line.end);
      open = undefined;
    }
  }
  if (open !== undefined) maskRange(chars, open.start, text.length);
}

/**
 * Masks inline code spans: a run of n backticks up to the next run of exactly n backticks in the
 * same paragraph. A run without a partner is literal text, as in CommonMark.
 */
function maskInlineCode(chars: string[]): void {
  const text = chars.join('');
  const runs = [...text.matchAll(/`+/g)].map((run) => ({
    start: run.index,
    length: run[0].length,
  }));
  const blanks = [...text.matchAll(/\n[ \t]*\r?\n/g)].map((blank) => blank.index);
  let blank = 0;
  let index = 0;
  while (index < runs.length) {
    const open = runs[index]!;
    while (blank < blanks.length && blanks[blank]! < open.start) blank++;
    const limit = blanks[blank] ?? text.length;
    let close = index + 1;
    while (
      close < runs.length &&
      runs[close]!.start < limit &&
      runs[close]!.length !== open.length
    ) {
      close++;
    }
    const partner = runs[close];
    if (partner !== undefined && partner.start < limit && partner.length === open.length) {
      maskRange(chars, open.start, partner.start + partner.length);
      index = close + 1;
    } else {
      index++;
    }
  }
}

/** Masks closed HTML comments (`<!-- … -->`): they are not shown, like PR template hints. */
function maskHtmlComments(chars: string[]): void {
  const text = chars.join('');
  for (const match of text.matchAll(/<!--[\s\S]*?-->/g)) {
    maskRange(chars, match.index, match.index + match[0].length);
  }
}

/** The text with fenced code, inline code and HTML comments masked, offsets unchanged. */
export function maskCode(text: string): string {
  if (!/[`~]|<!--/.test(text)) return text;
  const chars = text.split('');
  maskFencedCode(text, chars);
  maskInlineCode(chars);
  maskHtmlComments(chars);
  return chars.join('');
}

/** A story id that is a whole path segment of a URL (`https://tracker/browse/INT-003`). */
export interface UrlOccurrence {
  id: string;
  start: number;
  url: string;
}

const URL_PATTERN = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s<>"'`\uffff]+/g;
const URL_TRAILING_PUNCTUATION = /[.,;:!?)\]}*_]+$/;

/**
 * Finds URLs in masked text, returns the story ids that are exactly one of their path segments,
 * and masks the URLs so that nothing else inside them is read.
 */
export function takeUrls(
  masked: string,
  accept: IdFilter,
): { masked: string; urls: UrlOccurrence[] } {
  if (!masked.includes('://')) return { masked, urls: [] };
  const chars = masked.split('');
  const urls: UrlOccurrence[] = [];
  for (const match of masked.matchAll(URL_PATTERN)) {
    const url = match[0].replace(URL_TRAILING_PUNCTUATION, '');
    const start = match.index;
    maskRange(chars, start, start + url.length);
    const authorityStart = url.indexOf('://') + 3;
    const pathStart = url.indexOf('/', authorityStart);
    if (pathStart === -1) continue;
    const pathEnd = url.slice(pathStart).search(/[?#]/);
    const path = pathEnd === -1 ? url.slice(pathStart) : url.slice(pathStart, pathStart + pathEnd);
    let offset = start + pathStart;
    for (const segment of path.split('/')) {
      if (STORY_ID_EXACT.test(segment) && accept(segment)) {
        urls.push({ id: segment, start: offset, url });
      }
      offset += segment.length + 1;
    }
  }
  return { masked: chars.join(''), urls };
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
