// Story documents, new-story trailers and reverted commits in PR descriptions and commit messages.

import { closesFence, FENCE_OPEN, maskCode, splitLines } from './scan-text.js';

const DELIMITER = /^---[ \t]*$/;
const ID_LINE = /^id:(?:[ \t]|$)/;
const TITLE_LINE = /^title:(?:[ \t]|$)/;
const END_MARKER = /^[ \t]*<!--[ \t]*end story[ \t]*-->[ \t]*$/i;
/** A git trailer whose key has a hyphen: `Signed-off-by: …`, `Co-authored-by: …`, `New-Story: …`. */
const HYPHENATED_TRAILER = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+:[ \t]+\S/;

/**
 * The story starting at `lines[open]` (a `---` line): the frontmatter must be closed by a `---`
 * line and hold `id:` and `title:` lines; the body runs to the end of `lines` or to a line
 * `<!-- end story -->` outside the body's own code blocks. When `trailers` is set and the body
 * runs to the end, a last paragraph of hyphenated git trailers is not part of it.
 */
function readDocument(
  lines: readonly string[],
  open: number,
  trailers: boolean,
): string | undefined {
  let close = open + 1;
  while (close < lines.length && !DELIMITER.test(lines[close] ?? '')) close++;
  if (close >= lines.length) return undefined;
  const frontmatter = lines.slice(open + 1, close);
  if (!frontmatter.some((line) => ID_LINE.test(line))) return undefined;
  if (!frontmatter.some((line) => TITLE_LINE.test(line))) return undefined;

  let end = close + 1;
  let fence: string | undefined;
  let marked = false;
  for (; end < lines.length; end++) {
    const line = lines[end] ?? '';
    if (fence === undefined) {
      if (END_MARKER.test(line)) {
        marked = true;
        break;
      }
      fence = FENCE_OPEN.exec(line)?.[2];
    } else if (closesFence(line, fence)) {
      fence = undefined;
    }
  }
  let body = lines.slice(close + 1, end);
  if (trailers && !marked) body = withoutTrailerParagraph(body);
  const document = [...lines.slice(open, close + 1), ...body].join('\n');
  return `${document.trimEnd()}\n`;
}

/** Drops a last paragraph made only of hyphenated git trailers (`Co-authored-by: …`). */
function withoutTrailerParagraph(body: readonly string[]): string[] {
  let last = body.length - 1;
  while (last >= 0 && (body[last] ?? '').trim() === '') last--;
  let first = last;
  while (first >= 0 && HYPHENATED_TRAILER.test(body[first] ?? '')) first--;
  if (first === last) return [...body];
  if (first >= 0 && (body[first] ?? '').trim() !== '') return [...body];
  return body.slice(0, first + 1);
}

/**
 * A story document embedded in a PR description or commit message: a line `---`, YAML with at
 * least `id:` and `title:` lines, a closing `---` line, then the markdown body until the end of
 * the text or a line `<!-- end story -->` (a final paragraph of hyphenated git trailers such as
 * `Co-authored-by:` is left out). Also inside a ```markdown / ```md (or ~~~) fenced block, where
 * the body ends at the closing fence. The first such document wins; other fenced blocks are
 * skipped. Returns the document from the opening `---` to the end of the body with line endings
 * as `\n` and the trailing whitespace trimmed to a single '\n', or undefined.
 */
export function findStoryDocument(text: string): string | undefined {
  const lines = splitLines(text).map((line) => line.text);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const fence = FENCE_OPEN.exec(line);
    if (fence?.[2] !== undefined) {
      const indent = fence[1]?.length ?? 0;
      let close = index + 1;
      while (close < lines.length && !closesFence(lines[close] ?? '', fence[2])) close++;
      const language = (fence[3] ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
      if (language === 'markdown' || language === 'md') {
        const content = lines
          .slice(index + 1, close)
          .map((contentLine) => contentLine.replace(new RegExp(`^ {0,${indent}}`), ''));
        const open = content.findIndex((contentLine) => DELIMITER.test(contentLine));
        const document = open === -1 ? undefined : readDocument(content, open, false);
        if (document !== undefined) return document;
      }
      index = close;
      continue;
    }
    if (DELIMITER.test(line)) {
      const document = readDocument(lines, index, true);
      if (document !== undefined) return document;
    }
  }
  return undefined;
}

/**
 * `New-Story: Title of the story` git trailers (one per line; several allowed) → titles, in
 * order, without duplicates. The key is case-insensitive; lines in code blocks and HTML
 * comments are ignored; an empty title is ignored.
 */
export function findNewStoryTrailers(text: string): string[] {
  const masked = maskCode(text);
  const titles: string[] = [];
  for (const line of splitLines(masked)) {
    const match = /^[ \t]*New-Story[ \t]*:/i.exec(line.text);
    if (match === null) continue;
    const title = text.slice(line.start + match[0].length, line.end).trim();
    if (title !== '' && !titles.includes(title)) titles.push(title);
  }
  return titles;
}

const REVERT = /This reverts commit ([0-9a-f]{40}(?:[0-9a-f]{24})?)(?![0-9a-z])/gi;

/**
 * `This reverts commit <40-hex sha>.` (git revert's message) → the reverted shas, lower case,
 * in order, without duplicates. 64-hex (SHA-256 repositories) shas are accepted too.
 */
export function findRevertedCommits(message: string): string[] {
  const shas: string[] = [];
  for (const match of message.matchAll(REVERT)) {
    const sha = match[1]?.toLowerCase();
    if (sha !== undefined && !shas.includes(sha)) shas.push(sha);
  }
  return shas;
}
