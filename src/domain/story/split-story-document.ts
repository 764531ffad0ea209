import { StoryDocumentError } from './story-document-error.js';

/** Where the parts of a story document are, as offsets into its text. */
export interface StoryLayout {
  /** Line ending of the opening `---` line, used for lines the editor writes. */
  eol: '\n' | '\r\n';
  /** Offset of the first frontmatter character (just after the opening line). */
  frontmatterStart: number;
  /** Offset of the closing `---` line, just after the last frontmatter line. */
  frontmatterEnd: number;
  /** Offset just after the closing line and its line ending. */
  closeEnd: number;
  /** Whether the closing line ends with a line ending (it may end the text). */
  closeHasEol: boolean;
  /** The one blank line between the closing line and the body: '', '\n' or '\r\n'. */
  separator: string;
  /** Offset of the body. */
  bodyStart: number;
}

const OPEN_LINE = /^---[ \t]*(\r?\n)/;
const CLOSE_LINE = /^---[ \t]*\r?$/;

/** Finds the frontmatter block and the body of a story document (a leading BOM is allowed). */
export function splitStoryDocument(text: string): StoryLayout {
  const start = text.startsWith('\ufeff') ? 1 : 0;
  const open = OPEN_LINE.exec(text.slice(start));
  if (open === null) {
    throw new StoryDocumentError([
      { line: 1, message: 'a story document must start with a "---" frontmatter line' },
    ]);
  }
  const eol = open[1] === '\r\n' ? '\r\n' : '\n';
  const frontmatterStart = start + open[0].length;
  let lineStart = frontmatterStart;
  while (lineStart < text.length) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    if (CLOSE_LINE.test(text.slice(lineStart, lineEnd))) {
      const closeEnd = newline === -1 ? text.length : newline + 1;
      const separator = /^\r?\n/.exec(text.slice(closeEnd))?.[0] ?? '';
      return {
        eol,
        frontmatterStart,
        frontmatterEnd: lineStart,
        closeEnd,
        closeHasEol: newline !== -1,
        separator,
        bodyStart: closeEnd + separator.length,
      };
    }
    if (newline === -1) break;
    lineStart = newline + 1;
  }
  throw new StoryDocumentError([
    { line: 1, message: 'the frontmatter opened on line 1 is never closed by a "---" line' },
  ]);
}
