// The words of a write-back commit (docs/git-sync.md): one line per changed story, saying what
// changed and why (`INT-3: in_review → done (acme/shop#42 merged)`), and one trailer per
// storyflow operation, so people read the history and storyflow knows its own commits.

/** The trailer naming one storyflow operation in a write-back commit. */
export const OPERATION_TRAILER = 'Storyflow-Operation';

const REASON_MAX = 120;

/**
 * One story's line: the status move when the status changed, the other changed fields by name,
 * and the change's reason in parentheses.
 *
 * @example
 * changeSummary('INT-3', { status: 'in_review' }, { status: 'done' }, 'PR merged')
 * // 'INT-3: in_review → done (PR merged)'
 */
export function changeSummary(
  storyId: string,
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
  reason: string | null | undefined,
): string {
  const parts: string[] = [];
  if ('status' in before || 'status' in after) {
    parts.push(`${String(before.status ?? '∅')} → ${String(after.status ?? '∅')}`);
  }
  const others = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (field) => field !== 'status',
  );
  if (others.length > 0) parts.push(`${others.join(', ')} changed`);
  const what = parts.join('; ') || 'updated';
  const why = oneLine(reason ?? '');
  const shortened = why.length > REASON_MAX ? `${why.slice(0, REASON_MAX - 1)}…` : why;
  return `${storyId}: ${what}${shortened === '' ? '' : ` (${shortened})`}`;
}

/**
 * The commit message for the changes of one commit, in the order they were made: one story's
 * line is the subject; several stories get a summary subject and a line each. Then one
 * `Storyflow-Operation:` trailer per operation.
 */
export function writeBackMessage(
  changes: readonly { storyId: string; operationId: string; summary: string }[],
): string {
  const stories = [...new Set(changes.map((change) => change.storyId))];
  const lines = [...new Set(changes.map((change) => oneLine(change.summary)))];
  const operations = [...new Set(changes.map((change) => oneLine(change.operationId)))];
  const subject =
    lines.length === 1
      ? (lines[0] as string)
      : stories.length === 1
        ? `${stories[0]}: ${lines.length} changes`
        : `storyflow: ${stories.length} stories changed (${stories.join(', ')})`;
  const body = lines.length === 1 ? [] : ['', ...lines.map((line) => `- ${line}`)];
  const trailers = operations.map((id) => `${OPERATION_TRAILER}: ${id}`);
  return `${[subject, ...body, '', ...trailers].join('\n')}\n`;
}

/** Whether a commit message carries a storyflow write-back trailer (a commit storyflow made). */
export function isWriteBackMessage(message: string): boolean {
  return new RegExp(`^${OPERATION_TRAILER}: \\S+\\s*$`, 'm').test(message);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
