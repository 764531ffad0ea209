// Smart commands in commit messages: `INT-003 #in_review`, `INT-003 #comment Ready for review`.

import type { ReferenceConfig } from './reference-patterns.js';
import {
  findIdOccurrences,
  type IdOccurrence,
  idFilter,
  maskCode,
  splitLines,
  takeUrls,
} from './scan-text.js';

export interface SmartCommand {
  id: string;
  command: 'transition' | 'comment';
  status?: string;
  text?: string;
  evidence: string;
}

const COMMAND = /^#([a-z_]+)(?=$|[\s.,;:!?)\]])/;

/** The id at `from`, written `INT-003`, `#INT-003`, `[INT-003]` or `(INT-003)`. */
function idAt(
  masked: string,
  from: number,
  byStart: ReadonlyMap<number, IdOccurrence>,
): { occurrence: IdOccurrence; end: number } | undefined {
  const open = masked[from];
  const direct = byStart.get(from);
  if (direct !== undefined) return { occurrence: direct, end: direct.end };
  if (open !== '#' && open !== '[' && open !== '(') return undefined;
  const occurrence = byStart.get(from + 1);
  if (occurrence === undefined) return undefined;
  const close = masked[occurrence.end];
  const closes = (open === '[' && close === ']') || (open === '(' && close === ')');
  return { occurrence, end: closes ? occurrence.end + 1 : occurrence.end };
}

function skipSpaces(text: string, from: number, end: number, commas: boolean): number {
  let index = from;
  while (
    index < end &&
    (text[index] === ' ' || text[index] === '\t' || (commas && text[index] === ','))
  )
    index++;
  return index;
}

/**
 * `INT-003 #in_review` (transition to a status word: [a-z_]+), `INT-003 #comment text to the end
 * of the line`; one or several ids (`INT-003 INT-004 #done`) then one or several commands
 * (`INT-003 #in_review #comment Ready`). Several per message; at most one per line per
 * id+command (the first). `#comment` with empty text is ignored. Statuses are not validated.
 * Code and HTML comments are ignored, as in findTextReferences.
 */
export function findSmartCommands(message: string, config: ReferenceConfig): SmartCommand[] {
  const accept = idFilter(config);
  const { masked } = takeUrls(maskCode(message), accept);
  const byStart = new Map(
    findIdOccurrences(masked, accept).map((occurrence) => [occurrence.start, occurrence]),
  );
  const commands: SmartCommand[] = [];
  for (const line of splitLines(masked)) {
    const seen = new Set<string>();
    let position = line.start;
    while (position < line.end) {
      const first = idAt(masked, position, byStart);
      if (
        first === undefined ||
        (position > line.start && !/[\s([]/.test(masked[position - 1] ?? ''))
      ) {
        position++;
        continue;
      }
      const groupStart = position;
      const ids = [first.occurrence.id];
      let cursor = first.end;
      for (;;) {
        const next = idAt(masked, skipSpaces(masked, cursor, line.end, true), byStart);
        if (next === undefined) break;
        ids.push(next.occurrence.id);
        cursor = next.end;
      }
      const found: { command: 'transition' | 'comment'; status?: string; text?: string }[] = [];
      let groupEnd = cursor;
      for (;;) {
        const at = skipSpaces(masked, cursor, line.end, false);
        if (at === cursor) break;
        const command = COMMAND.exec(masked.slice(at, line.end));
        const word = command?.[1];
        if (word === undefined) break;
        if (word === 'comment') {
          const text = message.slice(at + command![0].length, line.end).trim();
          if (text !== '') found.push({ command: 'comment', text });
          groupEnd = line.end;
          break;
        }
        found.push({ command: 'transition', status: word });
        cursor = at + command![0].length;
        groupEnd = cursor;
      }
      const evidence = message.slice(groupStart, groupEnd).trim();
      for (const id of ids) {
        for (const command of found) {
          const key = `${id}\u0000${command.command}`;
          if (seen.has(key)) continue;
          seen.add(key);
          commands.push({ id, ...command, evidence });
        }
      }
      position = Math.max(groupEnd, cursor, position + 1);
    }
  }
  return commands;
}
