// Links a branch, commit, PR, pipeline or deployment to a story by hand or from a pipeline step.
// The one way to do it: POST /stories/{id}/links and the batch `link` operation both come here,
// so both check the credential's repositories and the repository name the same way, read the
// story through the transaction they write in, and audit the same entry.
import type { AuditContext } from '../domain/audit/audit-context.js';
import { type AuditEntryInput, auditEntry } from '../domain/audit/audit-entry.js';
import { type Principal, principalCoversRepository } from '../domain/auth/principal.js';
import type { Clock } from '../domain/clock.js';
import { isRepositoryName, type LinkInput } from '../domain/links/link-input.js';
import type { JsonValue } from '../domain/story/json-value.js';
import { ProblemError } from '../errors/problem-error.js';
import type { StoryLink } from '../storage/link-repository.js';
import type { Repositories, Store } from '../storage/store.js';
import { storyNotFound, validationProblem } from './story-problems.js';

export type { LinkInput } from '../domain/links/link-input.js';

/** One link as stored after the call, and whether the call created it. */
export interface LinkResult {
  created: boolean;
  link: StoryLink;
}

export class LinkService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** The links of story `id` as stored (the caller checks the story exists). */
  list(id: string): Promise<StoryLink[]> {
    return this.store.links.listLinks(id);
  }

  /** The links of each of these stories (stories without links are left out). */
  async listOfStories(ids: readonly string[]): Promise<Map<string, StoryLink[]>> {
    const byStory = new Map<string, StoryLink[]>();
    if (ids.length === 0) return byStory;
    for (const link of await this.store.links.listLinksOfStories(ids)) {
      const links = byStory.get(link.story) ?? [];
      links.push(link);
      byStory.set(link.story, links);
    }
    return byStory;
  }

  /** Links in a transaction of its own (POST /stories/{id}/links). */
  async link(
    principal: Principal | undefined,
    id: string,
    links: readonly LinkInput[],
    context: AuditContext,
  ): Promise<LinkResult[]> {
    // Refused before the transaction starts: a refusal waits for no lock.
    this.authorize(principal, links);
    return this.store.transaction((tx) => this.linkIn(tx, principal, id, links, context));
  }

  /**
   * Creates or updates each link of story `id` (same type, repository and key: the latest state
   * wins; a field left out keeps its stored value) and audits each as `story.linked` with its
   * fields before and after. Every read goes through `tx`: on a SQLite file, the store outside
   * the transaction would wait for the write lock this transaction holds.
   */
  async linkIn(
    tx: Repositories,
    principal: Principal | undefined,
    id: string,
    links: readonly LinkInput[],
    context: AuditContext,
  ): Promise<LinkResult[]> {
    this.authorize(principal, links);
    if ((await tx.stories.getStory(id)) === undefined) throw storyNotFound(id);
    const earlier = await tx.links.listLinks(id);
    const now = this.clock.now().toISOString();
    await tx.links.upsertLinks(
      links.map((link) => ({
        story: id,
        type: link.type,
        repository: link.repository,
        key: link.key,
        state: link.state ?? null,
        url: link.url ?? null,
        title: link.title ?? null,
        sha: link.sha ?? null,
        environment: link.environment ?? null,
        createdAt: now,
        updatedAt: now,
      })),
    );
    const stored = await tx.links.listLinks(id);
    const results: LinkResult[] = [];
    const entries: AuditEntryInput[] = [];
    for (const input of links) {
      const same = (link: StoryLink) =>
        link.type === input.type && link.repository === input.repository && link.key === input.key;
      const before = earlier.find(same);
      const after = stored.find(same);
      if (after === undefined) throw new Error(`a link of ${id} was not stored`);
      results.push({ created: before === undefined, link: after });
      entries.push(
        auditEntry({
          occurredAt: now,
          actor: context.actor,
          action: 'story.linked',
          targetType: 'story',
          targetId: id,
          before: before === undefined ? null : linkJson(before),
          after: linkJson(after),
          requestId: context.requestId,
          operationId: context.operationId,
          deliveryId: context.deliveryId,
          batchId: context.batchId,
          reason: context.reason,
        }),
      );
    }
    await tx.audit.append(entries);
    return results;
  }

  /**
   * Every repository must be a repository name (whatever validated the request before) and one
   * the credential covers: 400 naming the field, or 403 naming the repository.
   */
  private authorize(principal: Principal | undefined, links: readonly LinkInput[]): void {
    const malformed = links.flatMap((link, index) =>
      isRepositoryName(link.repository)
        ? []
        : [
            {
              field: `links[${index}].repository`,
              message: 'must be owner/name or group/subgroup/project (at most 256 characters)',
            },
          ],
    );
    if (malformed.length > 0) throw validationProblem(malformed);
    for (const link of links) {
      if (principal !== undefined && !principalCoversRepository(principal, link.repository)) {
        throw new ProblemError(
          'forbidden',
          `This credential may not link ${link.repository}: it is limited to ` +
            `${(principal.repositories ?? []).join(', ')}`,
          { repository: link.repository },
        );
      }
    }
  }
}

function linkJson(link: StoryLink): JsonValue {
  const { story: _story, createdAt: _created, updatedAt: _updated, ...fields } = link;
  return fields as unknown as JsonValue;
}
