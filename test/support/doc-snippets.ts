// The fenced code blocks of a markdown page, each with the marker comment above it:
//   <!-- include: examples/… -->  the block is that file, verbatim
//   <!-- test: some-id -->        a test runs the block (see test/ci/docs.test.ts)
//   <!-- config -->               a YAML fragment of the config file; a test loads it
//   <!-- not-run: why -->         shown, not run (a test lists each such block and why)
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { REPO_ROOT } from './ci-examples.js';
import { runProcess } from './ci-process.js';

export interface Snippet {
  /** The page, relative to the repository root. */
  page: string;
  line: number;
  lang: string;
  text: string;
  marker?:
    | { kind: 'include'; path: string }
    | { kind: 'test'; id: string }
    | { kind: 'config' }
    | { kind: 'not-run'; reason: string };
}

export function snippetsOf(file: string): Snippet[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const snippets: Snippet[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^(`{3,}|~{3,})(\S*)\s*$/.exec(lines[index] ?? '');
    if (open === null) continue;
    const fence = open[1] as string;
    const start = index;
    const body: string[] = [];
    index++;
    while (index < lines.length && !(lines[index] ?? '').startsWith(fence))
      body.push(lines[index++] ?? '');
    if (index >= lines.length) throw new Error(`${file}:${start + 1}: unclosed code block`);
    let previous = start - 1;
    while (previous >= 0 && (lines[previous] ?? '').trim() === '') previous--;
    const comment = /^<!--\s*(include|test|config|not-run)(?::\s*(.*?))?\s*-->$/.exec(
      lines[previous] ?? '',
    );
    snippets.push({
      page: relative(REPO_ROOT, file),
      line: start + 1,
      lang: open[2] ?? '',
      text: body.length === 0 ? '' : `${body.join('\n')}\n`,
      ...(comment === null
        ? {}
        : {
            marker: markerOf(comment[1] as string, comment[2] ?? ''),
          }),
    });
  }
  return snippets;
}

function markerOf(kind: string, value: string): NonNullable<Snippet['marker']> {
  switch (kind) {
    case 'include':
      return { kind: 'include', path: value };
    case 'test':
      return { kind: 'test', id: value };
    case 'config':
      return { kind: 'config' };
    default:
      return { kind: 'not-run', reason: value };
  }
}

/**
 * Runs shell snippets in bash (-e, -o pipefail) after replacing the placeholders a reader
 * replaces too (the server's address, a token); every placeholder given must occur.
 */
export async function runShellSnippets(
  parts: { text: string; replace?: Record<string, string> }[],
  options: { cwd: string; env: Record<string, string> },
) {
  const script = parts
    .map((part) => {
      let text = part.text;
      for (const [placeholder, value] of Object.entries(part.replace ?? {})) {
        if (!text.includes(placeholder))
          throw new Error(`the snippet has no ${placeholder}:\n${text}`);
        text = text.replaceAll(placeholder, value);
      }
      return text;
    })
    .join('\n');
  return runProcess('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    ...options,
    timeoutMs: 60_000,
  });
}
