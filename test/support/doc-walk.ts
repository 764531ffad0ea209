// Runs the shell snippets of a markdown page as a reader would and compares what each command
// prints with the sample output the page shows under it. Two ways a page shows output:
//
//   $ storyflow export backup/          a line starting with `$ ` is a command; the lines
//   Exported 6 stories to backup/      after it, up to the next `$ `, are what it prints
//
//   curl -s …                           a plain script; a comment `# → text` (continued by
//   # → {"items": […]}                  `#   more` lines) is what the commands since the last
//                                       such comment print
//
// In the sample, `…` stands for any text (ids, times, a secret), and a whitespace run matches
// any whitespace or none (a sample wraps long JSON over lines). The only edits to a snippet are the placeholders a reader fills in too.
import { runProcess } from './ci-process.js';

export interface Segment {
  commands: string;
  expected?: string;
}

/** Splits a snippet into commands and the output the page shows for them. */
export function segmentsOf(text: string): Segment[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const segments: Segment[] = [];
  if (lines.some((line) => line.startsWith('$ '))) {
    for (const line of lines) {
      if (line.startsWith('$ ')) segments.push({ commands: line.slice(2), expected: '' });
      else {
        const last = segments.at(-1);
        if (last === undefined) throw new Error(`output before the first command:\n${text}`);
        last.expected = last.expected === '' ? line : `${last.expected}\n${line}`;
      }
    }
    return segments;
  }
  let commands: string[] = [];
  let expected: string[] | undefined;
  const flush = () => {
    if (commands.length > 0 || expected !== undefined)
      segments.push({
        commands: commands.join('\n'),
        ...(expected === undefined ? {} : { expected: expected.join('\n') }),
      });
    commands = [];
    expected = undefined;
  };
  for (const line of lines) {
    const arrow = /^# → ?(.*)$/.exec(line);
    if (arrow !== null) {
      if (expected !== undefined) flush();
      expected = [arrow[1] ?? ''];
      continue;
    }
    const more = /^# {3}(.*)$/.exec(line);
    if (more !== null && expected !== undefined) {
      expected.push(more[1] ?? '');
      continue;
    }
    if (expected !== undefined) flush();
    commands.push(line);
  }
  flush();
  return segments;
}

/** Whether `actual` is what `sample` shows: `…` matches anything, whitespace runs match. */
export function matchesSample(actual: string, sample: string): boolean {
  const pattern = sample
    .trim()
    .split('…')
    .map((part) =>
      part
        .split(/\s+/)
        .map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        // A sample wraps long JSON over lines where the answer has no space.
        .join('\\s*'),
    )
    .join('[\\s\\S]*?');
  return new RegExp(`^${pattern}$`).test(actual.trim());
}

export interface WalkResult {
  code: number;
  stderr: string;
  /** Each segment with what its commands printed. */
  segments: (Segment & { actual: string })[];
}

/** Runs the snippets in one bash (-e, -o pipefail), each segment's output captured apart. */
export async function walkSnippets(
  parts: { text: string; replace?: Record<string, string> }[],
  options: { cwd: string; env: Record<string, string> },
): Promise<WalkResult> {
  const segments: Segment[] = [];
  for (const part of parts) {
    let text = part.text;
    for (const [placeholder, value] of Object.entries(part.replace ?? {})) {
      if (!text.includes(placeholder))
        throw new Error(`the snippet has no ${placeholder}:\n${text}`);
      text = text.replaceAll(placeholder, value);
    }
    segments.push(...segmentsOf(text));
  }
  const script = segments
    .map((segment, index) => `printf '\\n@@segment ${index}@@\\n'\n${segment.commands}`)
    .join('\n');
  const run = await runProcess('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    ...options,
    timeoutMs: 60_000,
  });
  const outputs = run.stdout.split(/\n@@segment \d+@@\n/).slice(1);
  return {
    code: run.code ?? -1,
    stderr: run.stderr,
    segments: segments.map((segment, index) => ({ ...segment, actual: outputs[index] ?? '' })),
  };
}

/** The segments whose output is not what the page shows, for an assertion message. */
export function mismatches(result: WalkResult): string[] {
  return result.segments.flatMap((segment) =>
    segment.expected === undefined || matchesSample(segment.actual, segment.expected)
      ? []
      : [
          `$ ${segment.commands}\n--- the page shows:\n${segment.expected}\n--- it printed:\n${segment.actual}`,
        ],
  );
}
