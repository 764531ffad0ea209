// What storyflow says back to the forge about a pull request, queued in the outbox in the
// transaction of the event that decided it (the automation engine calls `afterEventIn`):
// - the `storyflow/story` commit status on the PR's head commit: success naming the stories it
//   references, or, when the forge entry has `requireStory: true` and it names none, failure
//   saying how to reference one (without requireStory: success "no story referenced");
// - with `linkback` (the default), one comment listing each story with its title and status,
//   created once and then edited in place (the outbox row is keyed by the PR).
// Only for repositories a `forges:` entry covers; other forges than GitHub are not built.
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import type { Repositories } from '../../storage/store.js';
import type { CommentPayload, StatusPayload } from './github-client.js';
import type { OutboxService } from './outbox-service.js';

export const STORY_STATUS_CONTEXT = 'storyflow/story';

/** Events after which the head commit's status is set (merged/closed: the head no longer matters). */
const STATUS_KINDS = new Set(['pr.opened', 'pr.updated', 'pr.ready']);
/** Events after which the comment is written or refreshed. */
const COMMENT_KINDS = new Set(['pr.opened', 'pr.updated', 'pr.ready', 'pr.merged']);

const HOW_TO_REFERENCE =
  'name a story (e.g. INT-003) in the title, the description or the branch name';

export class ForgeFeedback {
  constructor(private readonly outbox: OutboxService) {}

  async afterEventIn(
    tx: Repositories,
    event: NormalizedEvent,
    storyIds: readonly string[],
  ): Promise<void> {
    const pr = event.pr;
    if (pr === undefined || event.provider === 'gitlab') return;
    const forge = this.outbox.forgeFor(event.repository);
    if (forge === undefined) return;
    const stories = await tx.stories.getStories([...new Set(storyIds)]);
    const ids = stories.map((story) => story.id);
    if (
      STATUS_KINDS.has(event.kind) &&
      event.sha !== undefined &&
      /^[0-9a-f]{40}$/.test(event.sha)
    ) {
      const failing = ids.length === 0 && forge.requireStory;
      const status: StatusPayload = {
        repository: event.repository,
        sha: event.sha,
        state: failing ? 'failure' : 'success',
        context: STORY_STATUS_CONTEXT,
        description: failing
          ? `no story referenced: ${HOW_TO_REFERENCE}`
          : ids.length === 0
            ? 'no story referenced (not required)'
            : clip(`serves ${ids.join(', ')}`, 140),
      };
      await this.outbox.enqueueIn(tx, {
        repository: event.repository,
        kind: 'status',
        target: `${event.repository}@${event.sha}`,
        payload: status,
      });
    }
    if (forge.linkback && COMMENT_KINDS.has(event.kind) && stories.length > 0) {
      const comment: CommentPayload = {
        repository: event.repository,
        number: pr.number,
        body: linkbackBody(stories),
      };
      await this.outbox.enqueueIn(tx, {
        repository: event.repository,
        kind: 'comment',
        target: `${event.repository}#${pr.number}`,
        payload: comment,
      });
    }
  }
}

/** The comment: a table of the stories (their titles escaped so they cannot mention or format). */
export function linkbackBody(
  stories: readonly { id: string; title: string; status: string }[],
): string {
  const rows = stories.map(
    (story) => `| ${cell(story.id)} | ${cell(story.title)} | ${cell(story.status)} |`,
  );
  return [
    '<!-- storyflow:linkback -->',
    `**storyflow**: this pull request serves ${stories.length === 1 ? 'one story' : `${stories.length} stories`}.`,
    '',
    '| Story | Title | Status |',
    '| --- | --- | --- |',
    ...rows,
  ].join('\n');
}

function cell(text: string): string {
  return clip(text.replace(/\s+/g, ' '), 200)
    .replace(/&/g, '&amp;')
    .replace(/[\\|`*_[\]]/g, (character) => `\\${character}`)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@/g, '@\u200b');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
