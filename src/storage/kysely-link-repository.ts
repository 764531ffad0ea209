import { type Kysely, type Selectable, sql } from 'kysely';
import type { EventSubject } from '../domain/events/event-order.js';
import { type Database, type StoryLinksTable, storageDialectOf } from './database.js';
import type { LatestFact, LinkRepository, LinkType, StoryLink } from './link-repository.js';
import { PrecompiledQuery } from './precompiled-query.js';

export class KyselyLinkRepository implements LinkRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async upsertLinks(links: StoryLink[]): Promise<void> {
    for (const link of links) {
      await this.db
        .insertInto('story_links')
        .values({
          story_id: link.story,
          type: link.type,
          repository: link.repository,
          key: link.key,
          state: link.state,
          url: link.url,
          title: link.title,
          sha: link.sha,
          environment: link.environment,
          created_at: link.createdAt,
          updated_at: link.updatedAt,
        })
        .onConflict((conflict) =>
          conflict.columns(['story_id', 'type', 'repository', 'key']).doUpdateSet((eb) => ({
            // Keep what the new event does not know.
            state: eb.fn.coalesce(eb.ref('excluded.state'), eb.ref('story_links.state')),
            url: eb.fn.coalesce(eb.ref('excluded.url'), eb.ref('story_links.url')),
            title: eb.fn.coalesce(eb.ref('excluded.title'), eb.ref('story_links.title')),
            sha: eb.fn.coalesce(eb.ref('excluded.sha'), eb.ref('story_links.sha')),
            environment: eb.fn.coalesce(
              eb.ref('excluded.environment'),
              eb.ref('story_links.environment'),
            ),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
  }

  async listLinks(story: string): Promise<StoryLink[]> {
    const rows = await this.db
      .selectFrom('story_links')
      .selectAll()
      .where('story_id', '=', story)
      .orderBy('type')
      .orderBy('updated_at', 'desc')
      .execute();
    return rows.map(fromRow);
  }

  async listLinksOfStories(stories: readonly string[]): Promise<StoryLink[]> {
    const links: StoryLink[] = [];
    // In chunks: SQLite and PostgreSQL both bound the parameters of one statement.
    for (let start = 0; start < stories.length; start += 500) {
      const rows = await this.db
        .selectFrom('story_links')
        .selectAll()
        .where('story_id', 'in', stories.slice(start, start + 500))
        .orderBy('story_id')
        .orderBy('type')
        .orderBy('updated_at', 'desc')
        .execute();
      links.push(...rows.map(fromRow));
    }
    return links;
  }

  async findLinkedStories(type: LinkType, repository: string, key: string): Promise<string[]> {
    const { rows } = await LINKED_STORIES.execute(this.db, { type, repository, key });
    return rows.map((row) => row.story_id);
  }

  async findOpenPullRequests(stories: readonly string[]): Promise<StoryLink[]> {
    if (stories.length === 0) return [];
    const rows = await this.db
      .selectFrom('story_links')
      .selectAll()
      .where('story_id', 'in', [...stories])
      .where('type', '=', 'pr')
      .where('state', 'in', ['open', 'draft'])
      .orderBy('story_id')
      .orderBy('repository')
      .orderBy('key')
      .execute();
    return rows.map(fromRow);
  }

  async findStoriesBySha(repository: string, sha: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('story_links')
      .select('story_id')
      .distinct()
      .where('repository', '=', repository)
      .where('sha', '=', sha)
      .execute();
    return rows.map((row) => row.story_id);
  }

  async lastSuccessfulDeployment(
    repository: string,
    environment: string,
  ): Promise<string | undefined> {
    const linked = await this.db
      .selectFrom('story_links')
      .select((eb) => eb.fn.max('updated_at').as('at'))
      .where('repository', '=', repository)
      .where('type', '=', 'deployment')
      .where('key', '=', environment)
      .where('state', '=', 'succeeded')
      .executeTakeFirst();
    // A deployment's subject key is `<provider>:<id>@<environment>` (domain/events/event-order).
    // LIKE narrows (case-insensitively on SQLite); the exact suffix is checked here.
    const suffix = `@${environment}`;
    const facts = await this.db
      .selectFrom('latest_facts')
      .select(['subject_key', 'applied_at'])
      .where('repository', '=', repository)
      .where('subject_type', '=', 'deployment')
      .where('kind', '=', 'deployment.succeeded')
      .where(sql<boolean>`subject_key like ${`%${escapeLike(suffix)}`} escape '\\'`)
      .execute();
    const times = [
      ...(linked?.at == null ? [] : [String(linked.at)]),
      ...facts.flatMap((fact) =>
        fact.subject_key.endsWith(suffix) && fact.applied_at !== null ? [fact.applied_at] : [],
      ),
    ];
    return times.sort().at(-1);
  }

  async findShippedSince(
    repository: string,
    since: string | null,
    defaultBranches: readonly string[],
    limit: number,
  ): Promise<string[]> {
    let query = this.db
      .selectFrom('story_links')
      .select('story_id')
      .distinct()
      .where('repository', '=', repository)
      .where((eb) =>
        eb.or([
          eb.and([eb('type', '=', 'pr'), eb('state', '=', 'merged')]),
          ...(defaultBranches.length === 0
            ? []
            : [eb.and([eb('type', '=', 'branch'), eb('key', 'in', [...defaultBranches])])]),
        ]),
      );
    if (since !== null) query = query.where('updated_at', '>', since);
    const rows = await query.orderBy('story_id').limit(limit).execute();
    return rows.map((row) => row.story_id);
  }

  async lockLatestFact(subject: EventSubject): Promise<LatestFact | undefined> {
    const key = {
      repository: subject.repository,
      subject_type: subject.type,
      subject_key: subject.key,
    };
    let query = this.db
      .selectFrom('latest_facts')
      .selectAll()
      .where('repository', '=', key.repository)
      .where('subject_type', '=', key.subject_type)
      .where('subject_key', '=', key.subject_key);
    if (storageDialectOf(this.db) === 'postgres') {
      // A row to lock even before the first fact: a concurrent first fact waits for this one.
      await this.db
        .insertInto('latest_facts')
        .values(key)
        .onConflict((conflict) =>
          conflict.columns(['repository', 'subject_type', 'subject_key']).doNothing(),
        )
        .execute();
      query = query.forUpdate();
    }
    const row = await query.executeTakeFirst();
    if (row?.kind == null || row.applied_at === null) return undefined;
    return {
      kind: row.kind,
      occurredAt: row.occurred_at,
      sequence: row.sequence === null ? null : Number(row.sequence),
      deliveryId: row.delivery_id,
      eventIndex: row.event_index,
      appliedAt: row.applied_at,
    };
  }

  async recordLatestFact(subject: EventSubject, fact: LatestFact): Promise<void> {
    const values = {
      occurred_at: fact.occurredAt,
      sequence: fact.sequence,
      kind: fact.kind,
      delivery_id: fact.deliveryId,
      event_index: fact.eventIndex,
      applied_at: fact.appliedAt,
    };
    await this.db
      .insertInto('latest_facts')
      .values({
        repository: subject.repository,
        subject_type: subject.type,
        subject_key: subject.key,
        ...values,
      })
      .onConflict((conflict) =>
        conflict.columns(['repository', 'subject_type', 'subject_key']).doUpdateSet(values),
      )
      .execute();
  }
}

function fromRow(row: Selectable<StoryLinksTable>): StoryLink {
  return {
    story: row.story_id,
    type: row.type as LinkType,
    repository: row.repository,
    key: row.key,
    state: row.state,
    url: row.url,
    title: row.title,
    sha: row.sha,
    environment: row.environment,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Run for most events the worker processes: compiled once (see precompiled-query.ts). */
const LINKED_STORIES = new PrecompiledQuery<
  { type: LinkType; repository: string; key: string },
  { story_id: string }
>(['type', 'repository', 'key'], (db, { type, repository, key }) =>
  db
    .selectFrom('story_links')
    .select('story_id')
    .distinct()
    .where('type', '=', type)
    .where('repository', '=', repository)
    .where('key', '=', key),
);

/** `text` with LIKE's wildcards (and the escape character) escaped by a backslash. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}
