// The board: a column per workflow status, its filters in the URL, moves as transitions with
// the version the card was loaded at, and the live stream that keeps open boards current.
import type { FastifyInstance } from 'fastify';
import { ProblemError } from '../../errors/problem-error.js';
import { encodeAuditCursor } from '../../services/audit-service.js';
import type { StoryJson } from '../../services/story-service.js';
import {
  type BoardCard,
  type BoardFilters,
  boardPage,
  cardHtml,
  moveRefusedPage,
} from './board-pages.js';
import { consoleAction } from './console-action.js';
import type { ConsoleContext } from './console-context.js';
import { messagePage } from './console-pages.js';
import { bounded, fieldOf, sendHtml } from './console-request.js';
import { missedChanges } from './missed-changes.js';
import { type StoryChange, StoryChangeFeed } from './story-change-feed.js';

/** Stories shown on one board at most; past that, the filter narrows it. */
export const BOARD_MAX_STORIES = 5000;
/** Open live-board streams per process at most (each holds a connection). */
const MAX_LIVE_STREAMS = 1000;

export function boardRoutes(app: FastifyInstance, context: ConsoleContext): void {
  const { assets, options } = context;
  const { stories, links, workflow } = options;
  const route = { config: { auth: 'public' as const }, schema: { hide: true } };

  app.get('/', route, async (request, reply) => {
    const signed = await context.signedIn(request);
    if (signed === undefined) return reply.redirect('/sign-in', 303);
    if (!signed.viewer.canReadStories) {
      const target = signed.viewer.canSeeDeliveries
        ? '/deliveries'
        : signed.viewer.canReadAudit
          ? '/audit'
          : null;
      if (target !== null) return reply.redirect(target, 303);
      return sendHtml(
        reply,
        messagePage(
          assets,
          signed.viewer,
          'Nothing to show',
          'This token may not read stories, deliveries or the audit log.',
        ),
      );
    }
    const filters = boardFilters(request.query);
    const { cards, truncated } = await loadBoard(filters);
    return sendHtml(reply, boardPage(assets, signed.viewer, workflow, cards, filters, truncated));
  });

  const loadBoard = async (filters: BoardFilters) => {
    const found: StoryJson[] = [];
    let cursor: string | undefined;
    do {
      const page = await stories.list({
        ...listFilters(filters),
        limit: 500,
        ...(cursor === undefined ? {} : { cursor }),
      });
      found.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && found.length < BOARD_MAX_STORIES);
    const shown = found.slice(0, BOARD_MAX_STORIES);
    const byStory = await links.listOfStories(shown.map((story) => story.id));
    const cards: BoardCard[] = shown
      .map((story) => ({ story, links: byStory.get(story.id) ?? [] }))
      .filter((card) => matchesCardFilters(card, filters));
    return { cards, truncated: cursor !== undefined };
  };

  app.get<{ Params: { id: string } }>('/cards/:id', route, async (request, reply) => {
    const signed = await context.require(request, reply, 'stories:read');
    if (signed === undefined) return reply;
    const record = await stories.get(request.params.id).catch(() => undefined);
    if (record === undefined) return reply.code(404).send();
    const card = { story: stories.toJson(record), links: await links.list(record.id) };
    if (!matchesFilters(card, record.document, boardFilters(request.query))) {
      return reply.code(204).send();
    }
    return sendHtml(reply, cardHtml(signed.viewer, workflow, card));
  });

  // A move from a form (answered with a page) or from the board's script (Accept: JSON). A
  // stale card (412) is answered with what changed since it was loaded, and the current
  // version, so the person may move it again knowing what they move.
  app.post<{ Params: { id: string } }>(
    '/story/:id/move',
    route,
    consoleAction<{ Params: { id: string } }>(context, {
      scope: 'stories:write',
      write: true,
      run: async (request, signed) => {
        const version = Number(fieldOf(request.body, 'version'));
        if (!Number.isSafeInteger(version) || version < 1) {
          throw new ProblemError(
            'bad-request',
            'The card was sent without its version: reload the board',
          );
        }
        const { id } = request.params;
        const to = fieldOf(request.body, 'to');
        const record = await stories.transition(
          id,
          to,
          version,
          context.auditContext(request, signed),
        );
        return wantsJson(request.headers.accept)
          ? { json: { ok: true, id, status: record.status, version: record.version } }
          : { redirect: '/' };
      },
      refused: async (error, request, signed) => {
        const { id } = request.params;
        const to = fieldOf(request.body, 'to');
        const version = Number(fieldOf(request.body, 'version'));
        const current = await stories.get(id).then(
          (record) => stories.toJson(record),
          () => undefined,
        );
        const allowed = current === undefined ? [] : (workflow.transitions[current.status] ?? []);
        const stale = error.code === 'precondition-failed' && current !== undefined;
        const missed = stale
          ? await missedChanges(options.audit, id, version, current.version)
          : { fields: [], by: [], loaded: {} };
        const detail = stale
          ? `${id} changed since the board was loaded: it is now ${current.status} at version ${current.version}.`
          : error.message;
        if (wantsJson(request.headers.accept)) {
          return {
            status: error.status,
            json: {
              ok: false,
              code: error.code,
              detail,
              allowed,
              ...(current === undefined
                ? {}
                : { status: current.status, version: current.version }),
              ...(stale ? { to, changes: missed.fields, changedBy: missed.by } : {}),
            },
          };
        }
        if (current === undefined) {
          return {
            status: error.status,
            page: messagePage(assets, signed.viewer, 'Move refused', detail),
          };
        }
        return {
          status: error.status,
          page: moveRefusedPage(
            assets,
            signed.viewer,
            workflow,
            current,
            detail,
            stale ? { to, missed } : null,
          ),
        };
      },
    }),
  );

  liveRoute(app, context);
}

/**
 * The live board: an event per changed story; the page fetches the card again (GET /cards/:id).
 * Each event carries the audit seq as its id, so a browser reconnecting after a dropped
 * connection sends it back (Last-Event-ID) and is told of the stories changed meanwhile.
 */
function liveRoute(app: FastifyInstance, context: ConsoleContext): void {
  const { options, sessions, liveStreams } = context;
  const feed = new StoryChangeFeed(options.audit, options.pollMs ?? 250, (error) =>
    app.log.warn({ err: error }, 'console: could not read story changes'),
  );
  app.addHook('onClose', async () => feed.stop());
  const route = { config: { auth: 'public' as const }, schema: { hide: true } };

  app.get('/events', route, async (request, reply) => {
    // 204 is how a server tells EventSource to stop reconnecting: the session has ended.
    if ((await context.signedIn(request)) === undefined) return reply.code(204).send();
    const signed = await context.require(request, reply, 'stories:read');
    if (signed === undefined) return reply;
    if (liveStreams.size >= MAX_LIVE_STREAMS) {
      // EventSource gives up on a refusal: that board says so, and still works without live updates.
      return reply.code(503).header('retry-after', '5').send();
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    // EventSource reconnects by itself; after a second, not its default three.
    raw.write('retry: 1000\n\n');
    const announce = (changes: StoryChange[]) => {
      const seen = new Set<string>();
      for (const change of changes) {
        if (seen.has(change.story)) continue;
        seen.add(change.story);
        raw.write(
          `id: ${change.seq}\nevent: story\ndata: ${JSON.stringify({ story: change.story, seq: change.seq })}\n\n`,
        );
      }
    };
    const unsubscribe = feed.subscribe(announce);
    const heartbeat = setInterval(() => {
      // A session that ended (signed out, expired, token revoked) ends its stream.
      if (!sessions.isLive(signed.sessionId)) raw.end();
      else raw.write(': ping\n\n');
    }, 15_000);
    heartbeat.unref();
    liveStreams.set(raw, signed.sessionId);
    raw.on('close', () => {
      liveStreams.delete(raw);
      clearInterval(heartbeat);
      unsubscribe();
    });
    const lastSeen = Number(request.headers['last-event-id']);
    if (Number.isSafeInteger(lastSeen) && lastSeen >= 0) {
      // What changed while this board was reconnecting (a story announced twice is harmless:
      // the page fetches its card again).
      try {
        const missed = await options.audit.list({
          cursor: encodeAuditCursor(lastSeen),
          limit: 500,
        });
        if (raw.destroyed || raw.writableEnded) return;
        announce(
          missed.items
            .filter((entry) => entry.targetType === 'story' && entry.targetId !== null)
            .map((entry) => ({
              seq: entry.seq,
              story: entry.targetId ?? '',
              action: entry.action,
            })),
        );
      } catch (error) {
        app.log.warn({ err: error }, 'console: could not read the story changes a board missed');
      }
    }
  });
}

function wantsJson(accept: string | undefined): boolean {
  return String(accept ?? '').includes('application/json');
}

function boardFilters(query: unknown): BoardFilters {
  const filters: BoardFilters = {};
  for (const key of ['q', 'epic', 'label', 'owner', 'repository'] as const) {
    const value = bounded(fieldOf(query, key), 200);
    if (value !== '') filters[key] = value;
  }
  return filters;
}

/** The filters the story listing applies itself. */
function listFilters(filters: BoardFilters): Pick<BoardFilters, 'q' | 'epic' | 'label'> {
  const { owner: _owner, repository: _repository, ...listed } = filters;
  return listed;
}

/** The filters applied to cards on the board: the story's owner, a repository it has links in. */
function matchesCardFilters(card: BoardCard, filters: BoardFilters): boolean {
  if (filters.owner !== undefined && card.story.owner !== filters.owner) return false;
  if (
    filters.repository !== undefined &&
    !card.links.some((link) => link.repository === filters.repository)
  ) {
    return false;
  }
  return true;
}

/** Whether a story passes the board's filters, as the story listing applies them. */
function matchesFilters(card: BoardCard, document: string, filters: BoardFilters): boolean {
  const { story } = card;
  if (!matchesCardFilters(card, filters)) return false;
  if (filters.epic !== undefined && story.epic !== filters.epic) return false;
  if (filters.label !== undefined) {
    const labels = Array.isArray(story.labels) ? story.labels : [];
    if (!labels.includes(filters.label)) return false;
  }
  if (filters.q !== undefined) {
    const q = filters.q.toLowerCase();
    if (![story.id, story.title, document].some((text) => text.toLowerCase().includes(q))) {
      return false;
    }
  }
  return true;
}
