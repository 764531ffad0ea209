// What storyflow says back to the forge about a pull request, queued in the outbox in the
// transaction of the event that decided it (the automation engine calls `afterEventIn`):
// - the `storyflow/story` commit status on the PR's head commit: success naming the stories it
//   references, or, when the forge entry has `requireStory: true` and it names none, failure
//   saying how to reference one (without requireStory: success "no story referenced");
// - with `linkback` (the default), one comment listing each story with its title, status and a
//   link (under server.publicUrl), created once and then edited in place (the outbox row is
//   keyed by the PR); refreshed too when a story linked to the open PR changes status outside
//   the PR's events (the API, the console, automation: `afterStatusChangeIn`).
// Only for repositories a `forges:` entry of the event's provider covers.
import type { ForgeConfig } from '../../config/config.js';
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import { linkbackBody, storyUrl } from '../../domain/outbox/linkback-comment.js';
import type { Repositories, StoryRecord } from '../../storage/store.js';
import type { CommentPayload, StatusPayload } from './forge-client.js';
import type { OutboxService } from './outbox-service.js';

export const STORY_STATUS_CONTEXT = 'storyflow/story';

/** Events after which the head commit's status is set (merged/closed: the head no longer matters). */
const STATUS_KINDS = new Set(['pr.opened', 'pr.updated', 'pr.ready']);
/** Events after which the comment is written or refreshed. */
const COMMENT_KINDS = new Set(['pr.opened', 'pr.updated', 'pr.ready', 'pr.merged']);

const HOW_TO_REFERENCE =
  'name a story (e.g. INT-003) in the title, the description or the branch name';

export class ForgeFeedback {
  constructor(
    private readonly outbox: OutboxService,
    /** server.publicUrl: the stories' links in the comment start with it (none when null). */
    private readonly publicUrl: string | null = null,
  ) {}

  async afterEventIn(
    tx: Repositories,
    event: NormalizedEvent,
    storyIds: readonly string[],
  ): Promise<void> {
    const pr = event.pr;
    if (pr === undefined) return;
    const forge = this.outbox.forgeFor(event.repository, event.provider);
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
        provider: event.provider,
        kind: 'status',
        target: `${event.repository}@${event.sha}`,
        payload: status,
      });
    }
    if (forge.linkback && COMMENT_KINDS.has(event.kind) && stories.length > 0)
      await this.enqueueComment(tx, forge, event.repository, pr.number, stories, event.provider);
  }

  /**
   * `storyIds` changed status in `tx`: the comment on each of their open pull requests that a
   * forge entry with linkback covers is queued again with the stories linked to that PR, as an
   * edit of the same comment (the same outbox row). Several changes in one transaction leave
   * one row per PR, holding the last text.
   */
  async afterStatusChangeIn(tx: Repositories, storyIds: readonly string[]): Promise<void> {
    if (!this.outbox.hasForges() || storyIds.length === 0) return;
    const open = await tx.links.findOpenPullRequests([...new Set(storyIds)]);
    const pullRequests = new Map<string, { repository: string; number: number }>();
    for (const link of open) {
      const number = Number(link.key);
      if (!Number.isSafeInteger(number) || number <= 0) continue;
      pullRequests.set(`${link.repository}#${number}`, { repository: link.repository, number });
    }
    for (const { repository, number } of pullRequests.values()) {
      const forge = this.outbox.forgeFor(repository);
      if (forge === undefined || !forge.linkback) continue;
      const linked = await tx.links.findLinkedStories('pr', repository, String(number));
      const stories = await tx.stories.getStories(linked);
      if (stories.length > 0) await this.enqueueComment(tx, forge, repository, number, stories);
    }
  }

  private async enqueueComment(
    tx: Repositories,
    forge: ForgeConfig,
    repository: string,
    number: number,
    stories: readonly StoryRecord[],
    provider?: string,
  ): Promise<void> {
    const publicUrl = this.publicUrl;
    const comment: CommentPayload = {
      repository,
      number,
      body: linkbackBody(
        forge.linkbackTemplate,
        [...stories]
          .sort((a, b) => a.id.localeCompare(b.id))
          .map((story) => ({
            id: story.id,
            title: story.title,
            status: story.status,
            url: publicUrl === null ? null : storyUrl(publicUrl, forge.linkbackLinks, story.id),
          })),
        { repository, number },
      ),
    };
    await this.outbox.enqueueIn(tx, {
      repository,
      ...(provider === undefined ? {} : { provider }),
      kind: 'comment',
      target: `${repository}#${number}`,
      payload: comment,
    });
  }
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
