// Finds the stories a change names: in its branch name, commit messages, PR title and body.
// Every recognised form and every decision is described in docs/references.md.

import type { ReferenceConfig } from './reference-patterns.js';
import {
  compiledFor,
  escapeRegExp,
  findIdOccurrences,
  type IdOccurrence,
  idFilter,
  maskCode,
  splitLines,
  takeUrls,
} from './scan-text.js';

export type ReferenceSource = 'branch' | 'commit' | 'pr-title' | 'pr-body';

export interface StoryReference {
  id: string; // normalised to upper case: 'INT-003'
  source: ReferenceSource;
  /** 'closes' when a closing word (or a Closes:/Fixes: trailer) precedes it; otherwise 'mentions'. */
  relation: 'closes' | 'mentions';
  /** The text that matched, for explaining an operation ("Closes INT-003"). */
  evidence: string;
}

/** Keeps one reference per (id, source), in order of first appearance; 'closes' wins. */
function dedupe(references: readonly StoryReference[]): StoryReference[] {
  const kept = new Map<string, StoryReference>();
  for (const reference of references) {
    const key = `${reference.source}\u0000${reference.id}`;
    const existing = kept.get(key);
    if (existing === undefined) {
      kept.set(key, { ...reference });
    } else if (existing.relation === 'mentions' && reference.relation === 'closes') {
      existing.relation = 'closes';
      existing.evidence = reference.evidence;
    }
  }
  return [...kept.values()];
}

/** Bot branches named after package versions (`renovate/node-20.x`, `dependabot/…/checkout-4`). */
const BOT_BRANCH = /^(?:dependabot|renovate)\//i;
// The story id pattern, case-insensitive (at most 9 digits: a longer number names no story).
const BRANCH_ID = /(?<=^|[/_-])[A-Za-z][A-Za-z0-9]{1,9}-\d{1,9}(?!\d)/g;

/**
 * References in a branch name: `int-003-cicd-…`, `feature/INT-003-x`, `team/svc/INT-003-x`,
 * `INT-003`, `users/bob/int-3-fix` — case-insensitive in branches; the id must be followed by
 * end, `-`, `_`, `/` or `.` (but not `.` and a digit: `foo-1.2.3` is a version) and preceded by
 * start, `/`, `-`, `_`. A fork label `owner:branch` and a `refs/heads/` prefix are accepted;
 * `dependabot/…` and `renovate/…` branches name no story. Branch references are 'mentions'
 * (the rules engine decides what a branch means); the evidence is the branch name.
 */
export function findBranchReferences(branch: string, config: ReferenceConfig): StoryReference[] {
  const label = branch.trim();
  const name = label.slice(label.lastIndexOf(':') + 1).replace(/^refs\/heads\//, '');
  if (BOT_BRANCH.test(name)) return [];
  const accept = idFilter(config);
  const references: StoryReference[] = [];
  for (const match of name.matchAll(BRANCH_ID)) {
    const end = match.index + match[0].length;
    const after = name[end];
    if (after !== undefined && !/[-_/.]/.test(after)) continue;
    if (after === '.' && /\d/.test(name[end + 1] ?? '')) continue;
    const id = match[0].toUpperCase();
    if (!accept(id)) continue;
    references.push({ id, source: 'branch', relation: 'mentions', evidence: label });
  }
  return dedupe(references);
}

/** A noun allowed between a closing word and its ids: `Closes story INT-003`. */
const CLOSING_NOUN = /^(?:stories|story|issues|issue|tickets|ticket)(?![\p{L}\p{N}_-])/iu;

/** An issue or PR number in a closing list (`Closes #42 and INT-003`): skipped, not a story. */
const ISSUE_NUMBER = /^#\d+(?![\p{L}\p{N}_])/u;

interface ClosingPhrase {
  ids: IdOccurrence[];
  start: number;
  end: number;
}

function skip(text: string, from: number, chars: RegExp): number {
  let index = from;
  while (index < text.length && chars.test(text[index] ?? '')) index++;
  return index;
}

/** `INT-003`, `#INT-003`, `[INT-003]` or `(INT-003)` at `from`. */
function listItemAt(
  masked: string,
  from: number,
  byStart: ReadonlyMap<number, IdOccurrence>,
): { occurrence: IdOccurrence; end: number } | undefined {
  const open = masked[from];
  const idStart = open === '#' || open === '[' || open === '(' ? from + 1 : from;
  const occurrence = byStart.get(idStart);
  if (occurrence === undefined) return undefined;
  const close = masked[occurrence.end];
  const end =
    (open === '[' && close === ']') || (open === '(' && close === ')')
      ? occurrence.end + 1
      : occurrence.end;
  return { occurrence, end };
}

const closingPatterns = new Map<string, RegExp | null>();

/** Any of the closing words as a whole word; null when there are none. */
function closingPattern(closingWords: readonly string[]): RegExp | null {
  return compiledFor(closingPatterns, closingWords.join('\u0000'), () => {
    const words = alternatives(closingWords, { longestFirst: true });
    // Global, for matchAll, which iterates over a copy: shared, it keeps no state between uses.
    return words === null
      ? null
      : new RegExp(`(?<![\\p{L}\\p{N}_-])(?:${words})(?![\\p{L}\\p{N}_-])`, 'giu');
  });
}

/** The trimmed, non-empty words as a regular-expression alternation; null when none. */
function alternatives(
  words: readonly string[],
  order: { longestFirst: boolean } = { longestFirst: false },
): string | null {
  const kept = words.map((word) => word.trim()).filter((word) => word !== '');
  if (order.longestFirst) kept.sort((a, b) => b.length - a.length);
  return kept.length === 0 ? null : kept.map(escapeRegExp).join('|');
}

/**
 * A closing word followed (on the same line) by one id or a list of ids separated by spaces,
 * commas, `&` or `and`: `Closes INT-003, INT-004 and API-001`, `fixes: INT-003`.
 */
function findClosingPhrases(
  masked: string,
  config: ReferenceConfig,
  byStart: ReadonlyMap<number, IdOccurrence>,
): ClosingPhrase[] {
  const closing = closingPattern(config.closingWords);
  if (closing === null) return [];
  const phrases: ClosingPhrase[] = [];
  for (const match of masked.matchAll(closing)) {
    let position = skip(masked, match.index + match[0].length, /[ \t*_]/);
    if (masked[position] === ':') position = skip(masked, position + 1, /[ \t*_]/);
    const noun = CLOSING_NOUN.exec(masked.slice(position, position + 8));
    if (noun !== null) {
      const afterNoun = skip(masked, position + noun[0].length, /[ \t:*_]/);
      if (afterNoun > position + noun[0].length) position = afterNoun;
    }
    const ids: IdOccurrence[] = [];
    let end = position;
    for (;;) {
      const issue = ISSUE_NUMBER.exec(masked.slice(position, position + 24));
      const item = issue === null ? listItemAt(masked, position, byStart) : undefined;
      if (issue === null && item === undefined) break;
      if (item !== undefined) {
        ids.push(item.occurrence);
        end = item.end;
      }
      position = skip(masked, item?.end ?? position + (issue?.[0].length ?? 0), /[ \t*_]/);
      if (masked[position] === ',' || masked[position] === '&') {
        position = skip(masked, position + 1, /[ \t*_]/);
      }
      if (/^and[ \t]/i.test(masked.slice(position, position + 4))) {
        position = skip(masked, position + 3, /[ \t*_]/);
      }
    }
    if (ids.length > 0) phrases.push({ ids, start: match.index, end });
  }
  return phrases;
}

const trailerPatterns = new Map<string, RegExp | null>();

/** `Key:` at the start of a line for any of the trailer keys; null when there are none. */
function trailerPattern(trailers: readonly string[]): RegExp | null {
  return compiledFor(trailerPatterns, trailers.join('\u0000'), () => {
    const keys = alternatives(trailers);
    return keys === null ? null : new RegExp(`^([ \\t]*(?:${keys})[ \\t]*:)`, 'i');
  });
}

/** Lines `Key: value` whose key is a configured trailer (`Story: INT-003`, `Refs: A-1, B-2`). */
function findTrailerLines(
  masked: string,
  config: ReferenceConfig,
): { valueStart: number; end: number; start: number }[] {
  const trailer = trailerPattern(config.trailers);
  if (trailer === null) return [];
  const lines: { valueStart: number; end: number; start: number }[] = [];
  for (const line of splitLines(masked)) {
    const match = trailer.exec(line.text);
    if (match?.[1] !== undefined) {
      lines.push({ start: line.start, valueStart: line.start + match[1].length, end: line.end });
    }
  }
  return lines;
}

/**
 * References in free text (commit messages, PR titles and bodies). Ids must be upper case;
 * fenced code, inline code and HTML comments are ignored; an id that is a whole path segment of
 * a URL is a mention; a closing word before one or several ids makes them 'closes'. One
 * reference per id, in order of first appearance; 'closes' wins over 'mentions'.
 */
export function findTextReferences(
  text: string,
  source: Exclude<ReferenceSource, 'branch'>,
  config: ReferenceConfig,
): StoryReference[] {
  const accept = idFilter(config);
  const { masked, urls } = takeUrls(maskCode(text), accept);
  const occurrences = findIdOccurrences(masked, accept);
  const byStart = new Map(occurrences.map((occurrence) => [occurrence.start, occurrence]));

  const closingEvidence = new Map<number, string>();
  for (const phrase of findClosingPhrases(masked, config, byStart)) {
    const evidence = text.slice(phrase.start, phrase.end).replace(/[*_]+/g, '');
    for (const occurrence of phrase.ids) {
      if (!closingEvidence.has(occurrence.start)) closingEvidence.set(occurrence.start, evidence);
    }
  }
  const trailerLines = findTrailerLines(masked, config);

  const hits: { position: number; reference: StoryReference }[] = [];
  let line = 0;
  for (const occurrence of occurrences) {
    const closes = closingEvidence.get(occurrence.start);
    while (line < trailerLines.length && trailerLines[line]!.end < occurrence.end) line++;
    const candidate = trailerLines[line];
    const trailer =
      candidate !== undefined && occurrence.start >= candidate.valueStart ? candidate : undefined;
    const evidence =
      closes ?? (trailer ? text.slice(trailer.start, trailer.end).trim() : occurrence.id);
    hits.push({
      position: occurrence.start,
      reference: {
        id: occurrence.id,
        source,
        relation: closes === undefined ? 'mentions' : 'closes',
        evidence,
      },
    });
  }
  for (const url of urls) {
    hits.push({
      position: url.start,
      reference: { id: url.id, source, relation: 'mentions', evidence: url.url },
    });
  }
  hits.sort((a, b) => a.position - b.position);
  return dedupe(hits.map((hit) => hit.reference));
}

/**
 * Convenience for a whole change: branch, commits, PR title and body, in that order.
 * Deduplicated per id+source ('closes' wins), so several commits give one 'commit' reference.
 */
export function findChangeReferences(
  change: {
    branch?: string;
    commits?: { message: string }[];
    pr?: { title: string; body: string };
  },
  config: ReferenceConfig,
): StoryReference[] {
  const references: StoryReference[] = [];
  if (change.branch) references.push(...findBranchReferences(change.branch, config));
  for (const commit of change.commits ?? []) {
    references.push(...findTextReferences(commit.message ?? '', 'commit', config));
  }
  if (change.pr) {
    references.push(...findTextReferences(change.pr.title ?? '', 'pr-title', config));
    references.push(...findTextReferences(change.pr.body ?? '', 'pr-body', config));
  }
  return dedupe(references);
}
