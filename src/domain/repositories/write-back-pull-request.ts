// The words of the one pull request storyflow keeps open from its updates branch in
// `pull-request` mode (docs/git-sync.md): a title naming what changed, and a body listing each
// story whose file differs on the branch and each change the branch's commits made, oldest first.
// Rebuilt from the branch after every push, so it always says what merging would bring. Pure.
import { isWriteBackMessage } from './write-back-message.js';

/** The branch write-backs go to in `pull-request` mode, and the pull request's head. */
export const UPDATES_BRANCH = 'storyflow/updates';

/** The first line of every such body: how people (and storyflow's docs) recognise it. */
export const PULL_REQUEST_MARKER = '<!-- storyflow:updates -->';

/** Forges bound titles (GitLab to 255 characters): storyflow's stay well under. */
const TITLE_MAX = 200;
/** Rows of each list before the rest is counted, so the body stays readable (and under 64 KB). */
const LIST_MAX = 200;
const LINE_MAX = 300;

export interface PendingStoryFile {
  storyId: string;
  path: string;
}

export interface PullRequestText {
  title: string;
  body: string;
}

/**
 * The title and body for the stories whose files differ on the branch and the change lines of
 * its commits (`changeLinesOf` each message), to be merged from `head` into `base`.
 */
export function writeBackPullRequest(input: {
  base: string;
  head: string;
  stories: readonly PendingStoryFile[];
  changes: readonly string[];
}): PullRequestText {
  const stories = [...new Map(input.stories.map((file) => [file.storyId, file])).values()];
  const changes = [...new Set(input.changes)];
  const ids = stories.map((file) => file.storyId);
  const title =
    changes.length === 1 && ids.length <= 1
      ? `storyflow: ${changes[0]}`
      : ids.length === 1
        ? `storyflow: ${changes.length} changes to ${ids[0]}`
        : `storyflow: ${ids.length} stories changed (${listed(ids, 5)})`;
  const storyRows = stories
    .slice(0, LIST_MAX)
    .map((file) => `| ${cell(file.storyId)} | \`${cell(file.path)}\` |`);
  const changeRows = changes.slice(0, LIST_MAX).map((line) => `- ${clip(line, LINE_MAX)}`);
  const body = [
    PULL_REQUEST_MARKER,
    `Changes made in storyflow to stories kept in this repository, waiting to be merged into \`${input.base}\`.`,
    `storyflow keeps this pull request up to date while changes are pending on \`${input.head}\`; once it is merged or closed, the next change opens a new one.`,
    '',
    '### Stories',
    '',
    '| Story | File |',
    '| --- | --- |',
    ...storyRows,
    ...more(stories.length),
    '',
    '### Changes',
    '',
    ...(changeRows.length === 0
      ? ['- (the files above; their commits name no change)']
      : changeRows),
    ...more(changes.length),
  ];
  return { title: clip(title, TITLE_MAX), body: `${body.join('\n')}\n` };
}

/**
 * The change lines of a write-back commit message (write-back-message.ts): its `- ` lines, or its
 * subject when it has one change. A commit storyflow did not make (no operation trailer) has none.
 */
export function changeLinesOf(message: string): string[] {
  if (!isWriteBackMessage(message)) return [];
  const lines = message.split('\n');
  const listedLines = lines.filter((line) => line.startsWith('- ')).map((line) => line.slice(2));
  return listedLines.length > 0 ? listedLines : [lines[0]?.trim() ?? ''].filter(Boolean);
}

function listed(ids: readonly string[], max: number): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')}, …`;
}

function more(count: number): string[] {
  return count > LIST_MAX ? [`- … and ${count - LIST_MAX} more`] : [];
}

/** A table cell: one line, its pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
