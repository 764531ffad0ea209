// The web console (DESIGN §9): server-rendered pages at `/` over the same services and scopes as
// the API. A person signs in with a token, which is exchanged for an HttpOnly session cookie;
// every state-changing request carries the session's CSRF token. Registered as one plugin, so
// its hooks (sessions, security headers, compression) touch only its own routes.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AuditContext, actorOf } from '../../domain/audit/audit-context.js';
import { type Principal, principalHasScope } from '../../domain/auth/principal.js';
import { SCOPES, type Scope } from '../../domain/auth/scopes.js';
import type { Workflow } from '../../domain/story/workflow.js';
import { ProblemError } from '../../errors/problem-error.js';
import { type AuditService, encodeAuditCursor } from '../../services/audit-service.js';
import type { OperationService } from '../../services/automation/operation-service.js';
import type { RuleService } from '../../services/automation/rule-service.js';
import { simulationEvents } from '../../services/automation/simulation-events.js';
import {
  DELIVERY_STATUSES,
  type DeliveryService,
  type DeliveryStatus,
} from '../../services/delivery-service.js';
import type { LinkService } from '../../services/link-service.js';
import type { StoryJson, StoryService } from '../../services/story-service.js';
import type { TokenService } from '../../services/token-service.js';
import {
  type Assets,
  auditPage,
  type BoardCard,
  type BoardFilters,
  boardPage,
  cardHtml,
  deliveriesPage,
  deliveryPage,
  editableFields,
  isTextList,
  messagePage,
  moveRefusedPage,
  type RuleRow,
  rollbackConflictPage,
  rulesPage,
  type SimulatorState,
  signInPage,
  storyPage,
  tokensPage,
  type Viewer,
} from './console-pages.js';
import {
  type ConsoleSession,
  ConsoleSessions,
  csrfMatches,
  DEFAULT_SESSION_LIMITS,
  type SessionLimits,
} from './console-sessions.js';
import type { Html } from './html.js';
import { StoryChangeFeed } from './story-change-feed.js';

export interface ConsoleOptions {
  stories: StoryService;
  links: LinkService;
  operations: OperationService;
  audit: AuditService;
  deliveries: DeliveryService;
  tokens: TokenService;
  workflow: Workflow;
  rules: RuleService;
  /** Always mark the cookie Secure (it is marked anyway when the request came over TLS). */
  secureCookie?: boolean;
  sessionLimits?: SessionLimits;
  /** How often the live board looks for changed stories. */
  pollMs?: number;
  now?: () => number;
}

export const SESSION_COOKIE = 'storyflow_session';
/** Stories shown on one board at most; past that, the filter narrows it. */
export const BOARD_MAX_STORIES = 5000;
const FAILED_SIGN_INS_PER_MINUTE = 10;
/** Open live-board streams per process at most (each holds a connection). */
const MAX_LIVE_STREAMS = 1000;

type StoryRecordOf = Awaited<ReturnType<StoryService['get']>>;

interface Signed {
  sessionId: string;
  session: ConsoleSession;
  principal: Principal;
  viewer: Viewer;
}

export async function consolePlugin(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const now = options.now ?? Date.now;
  const sessions = new ConsoleSessions(options.sessionLimits ?? DEFAULT_SESSION_LIMITS, now);
  const feed = new StoryChangeFeed(options.audit, options.pollMs ?? 250, (error) =>
    app.log.warn({ err: error }, 'console: could not read story changes'),
  );
  /** Open live-board streams and the session each belongs to. */
  const streams = new Map<import('node:http').ServerResponse, string>();
  app.addHook('onClose', async () => {
    feed.stop();
    for (const stream of streams.keys()) stream.end();
  });
  const { stories, links, workflow } = options;
  const files = await loadAssets();
  const assets: Assets = {
    script: `/console/assets/console.js?v=${files.script.hash}`,
    style: `/console/assets/console.css?v=${files.style.hash}`,
  };
  const failedSignIns = new Map<string, { count: number; since: number }>();
  const config = { auth: 'public' as const };

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    // A pasted payload in the simulator may be large; nothing else comes near this.
    { parseAs: 'string', bodyLimit: 2 * 1024 * 1024 },
    (_request, body, done) => {
      // A repeated field (checkboxes) keeps every value: `scope` and `scope[]` of formList.
      const fields: Record<string, string> = Object.create(null);
      for (const [key, value] of new URLSearchParams(body as string)) {
        if (key in fields) fields[`${key}[]`] = `${fields[`${key}[]`] ?? fields[key]}\n${value}`;
        else fields[key] = value;
      }
      done(null, fields);
    },
  );

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html')) {
      reply.header(
        'content-security-policy',
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
          "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
      reply.header('cache-control', 'no-store');
    }
    const compressible = /^(text\/html|text\/css|text\/javascript)/.test(type);
    const accepts = String(request.headers['accept-encoding'] ?? '');
    if (!compressible || !/\bgzip\b/.test(accepts)) return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    if (payload.length < 1024) return payload;
    reply.header('content-encoding', 'gzip');
    reply.header('vary', 'accept-encoding');
    reply.removeHeader('content-length');
    return gzipSync(payload, { level: 6 });
  });

  /** The signed-in person of this request, or undefined (the session is dropped when stale). */
  const signedIn = async (request: FastifyRequest): Promise<Signed | undefined> => {
    const sessionId = readCookie(request.headers.cookie, SESSION_COOKIE);
    const session = sessions.get(sessionId);
    if (session === undefined || sessionId === undefined) return undefined;
    const principal = await options.tokens.authenticate(session.token);
    if (typeof principal === 'string') {
      sessions.deleteToken(session.token);
      return undefined;
    }
    return { sessionId, session, principal, viewer: viewerOf(principal, session) };
  };

  /** The signed-in person allowed `scope`, or an answer already sent (sign in, or 403). */
  const require = async (
    request: FastifyRequest,
    reply: FastifyReply,
    scope: Scope,
    options: { write?: boolean } = {},
  ): Promise<Signed | undefined> => {
    const signed = await signedIn(request);
    if (signed === undefined) {
      if (request.method === 'GET' && !options.write) {
        await reply.redirect('/sign-in', 303);
      } else {
        await sendHtml(
          reply.code(401),
          signInPage(assets, 'Your session has ended: sign in again.'),
        );
      }
      return undefined;
    }
    if (options.write === true && !csrfOk(request, signed.session)) {
      await sendHtml(
        reply.code(403),
        messagePage(
          assets,
          signed.viewer,
          'Refused',
          'This form is not from this session (CSRF check failed). Reload the page and try again.',
        ),
      );
      return undefined;
    }
    if (!principalHasScope(signed.principal, scope)) {
      await sendHtml(
        reply.code(403),
        messagePage(assets, signed.viewer, 'Not allowed', `This token lacks the scope ${scope}.`),
      );
      return undefined;
    }
    return signed;
  };

  const context = (request: FastifyRequest, signed: Signed): AuditContext => ({
    actor: actorOf(signed.principal),
    requestId: request.id,
    reason: null,
  });

  app.get('/console', { config, schema: { hide: true } }, async (_request, reply) =>
    reply.redirect('/', 302),
  );

  app.get(
    '/console/assets/console.js',
    { config, schema: { hide: true } },
    async (request, reply) =>
      sendAsset(request, reply, files.script, 'text/javascript; charset=utf-8'),
  );
  app.get(
    '/console/assets/console.css',
    { config, schema: { hide: true } },
    async (request, reply) => sendAsset(request, reply, files.style, 'text/css; charset=utf-8'),
  );

  app.get('/sign-in', { config, schema: { hide: true } }, async (request, reply) => {
    if ((await signedIn(request)) !== undefined) return reply.redirect('/', 303);
    return sendHtml(reply, signInPage(assets, null));
  });

  app.post('/sign-in', { config, schema: { hide: true } }, async (request, reply) => {
    if (!sameOrigin(request))
      return sendHtml(reply.code(403), signInPage(assets, 'Cross-site sign-in refused.'));
    const address = request.ip;
    const failures = failedSignIns.get(address);
    if (
      failures !== undefined &&
      now() - failures.since < 60_000 &&
      failures.count >= FAILED_SIGN_INS_PER_MINUTE
    ) {
      return sendHtml(
        reply.code(429),
        signInPage(assets, 'Too many failed sign-ins from this address: wait a minute.'),
      );
    }
    const token = fieldOf(request.body, 'token').trim();
    const result =
      token.length === 0 || token.length > 4096
        ? 'unknown'
        : await options.tokens.authenticate(token);
    if (typeof result === 'string') {
      const since =
        failures === undefined || now() - failures.since >= 60_000 ? now() : failures.since;
      const count = failures === undefined || since !== failures.since ? 1 : failures.count + 1;
      failedSignIns.delete(address);
      failedSignIns.set(address, { count, since });
      if (failedSignIns.size > 10_000)
        failedSignIns.delete(failedSignIns.keys().next().value as string);
      return sendHtml(
        reply.code(401),
        signInPage(
          assets,
          `That token was not accepted (${result === 'unknown' ? 'unknown token' : `the token is ${result}`}).`,
        ),
      );
    }
    const { id } = sessions.create(token);
    const limits = options.sessionLimits ?? DEFAULT_SESSION_LIMITS;
    reply.header('set-cookie', cookie(request, id, Math.floor(limits.absoluteMs / 1000)));
    return reply.redirect('/', 303);
  });

  app.post('/sign-out', { config, schema: { hide: true } }, async (request, reply) => {
    const signed = await signedIn(request);
    if (signed !== undefined && !csrfOk(request, signed.session)) {
      return sendHtml(
        reply.code(403),
        messagePage(assets, signed.viewer, 'Refused', 'CSRF check failed.'),
      );
    }
    if (signed !== undefined) {
      sessions.delete(signed.sessionId);
      // Its open boards stop following at once (their reconnect is refused).
      for (const [stream, session] of streams) if (session === signed.sessionId) stream.end();
    }
    reply.header('set-cookie', cookie(request, '', 0));
    return reply.redirect('/sign-in', 303);
  });

  app.get('/', { config, schema: { hide: true } }, async (request, reply) => {
    const signed = await signedIn(request);
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

  app.get<{ Params: { id: string } }>(
    '/cards/:id',
    { config, schema: { hide: true } },
    async (request, reply) => {
      const signed = await require(request, reply, 'stories:read');
      if (signed === undefined) return reply;
      const record = await stories.get(request.params.id).catch(() => undefined);
      if (record === undefined) return reply.code(404).send();
      const card = { story: stories.toJson(record), links: await links.list(record.id) };
      if (!matchesFilters(card, record.document, boardFilters(request.query))) {
        return reply.code(204).send();
      }
      return sendHtml(reply, cardHtml(signed.viewer, workflow, card));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/story/:id/move',
    { config, schema: { hide: true } },
    async (request, reply) => {
      const wantsJson = String(request.headers.accept ?? '').includes('application/json');
      const signed = await require(request, reply, 'stories:write', { write: true });
      if (signed === undefined) return reply;
      const to = fieldOf(request.body, 'to');
      const version = Number(fieldOf(request.body, 'version'));
      const id = request.params.id;
      try {
        if (!Number.isSafeInteger(version) || version < 1) {
          throw new ProblemError(
            'bad-request',
            'The card was sent without its version: reload the board',
          );
        }
        const record = await stories.transition(id, to, version, context(request, signed));
        if (wantsJson)
          return reply.send({ ok: true, id, status: record.status, version: record.version });
        return reply.redirect('/', 303);
      } catch (error) {
        if (!(error instanceof ProblemError)) throw error;
        const current = await stories.get(id).then(
          (record) => stories.toJson(record),
          () => undefined,
        );
        const allowed = current === undefined ? [] : (workflow.transitions[current.status] ?? []);
        const detail =
          error.code === 'precondition-failed' && current !== undefined
            ? `${id} changed since the board was loaded: it is now ${current.status} at version ${current.version}.${await changesSince(id, version, current.version)}`
            : error.message;
        if (wantsJson) {
          return reply.code(error.status).send({
            ok: false,
            code: error.code,
            detail,
            allowed,
            ...(current === undefined ? {} : { status: current.status, version: current.version }),
          });
        }
        if (current === undefined)
          return sendHtml(
            reply.code(error.status),
            messagePage(assets, signed.viewer, 'Move refused', detail),
          );
        return sendHtml(
          reply.code(error.status),
          moveRefusedPage(assets, signed.viewer, workflow, current, detail),
        );
      }
    },
  );

  /** What the story's last writes changed, from its audit entries: " Changed: …" or "". */
  const changesSince = async (id: string, seen: number, now: number): Promise<string> => {
    const missed = Math.min(5, now - seen);
    if (!Number.isSafeInteger(missed) || missed <= 0) return '';
    const history = await options.audit.list({ story: id, limit: 500 });
    const lines = history.items.slice(-missed).map((entry) => {
      const before = (entry.before ?? {}) as Record<string, unknown>;
      const after = (entry.after ?? {}) as Record<string, unknown>;
      const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])]
        .slice(0, 5)
        .map((field) => `${field}: ${short(before[field])} → ${short(after[field])}`);
      return `${fields.join(', ')} (${entry.actor.name ?? entry.actor.type})`;
    });
    return ` Changed: ${lines.join('; ')}.`;
  };

  app.get<{ Params: { id: string } }>(
    '/story/:id',
    { config, schema: { hide: true } },
    async (request, reply) => {
      const signed = await require(request, reply, 'stories:read');
      if (signed === undefined) return reply;
      const record = await stories.get(request.params.id).catch(() => undefined);
      if (record === undefined) {
        return sendHtml(
          reply.code(404),
          messagePage(assets, signed.viewer, 'Not found', `No story ${request.params.id}.`),
        );
      }
      return sendHtml(reply, await storyView(signed, record, null));
    },
  );

  const storyView = async (signed: Signed, record: StoryRecordOf, notice: string | null) => {
    const [storyLinks, history, operations] = await Promise.all([
      links.list(record.id),
      options.audit.list({ story: record.id, limit: 200 }),
      options.operations.list({ story: record.id }, 50),
    ]);
    const data = {
      story: stories.toJson(record),
      document: record.document,
      links: storyLinks,
      history: history.items,
      operations: operations.items,
    };
    return storyPage(assets, signed.viewer, workflow, data, notice);
  };

  // Frontmatter fields edited with the version the page was loaded at (If-Match): only the
  // fields whose value changed are sent, so the rest of the document keeps its bytes.
  app.post<{ Params: { id: string } }>(
    '/story/:id/fields',
    { config, schema: { hide: true } },
    async (request, reply) => {
      const signed = await require(request, reply, 'stories:write', { write: true });
      if (signed === undefined) return reply;
      const record = await stories.get(request.params.id).catch(() => undefined);
      if (record === undefined) {
        return sendHtml(
          reply.code(404),
          messagePage(assets, signed.viewer, 'Not found', `No story ${request.params.id}.`),
        );
      }
      const current = stories.toJson(record);
      const version = Number(fieldOf(request.body, 'version'));
      const patch: Record<string, unknown> = {};
      for (const [key, before] of editableFields(current)) {
        const name = `field.${key}`;
        // A field left out of the form is left as it is.
        if (typeof (request.body as Record<string, unknown> | null)?.[name] !== 'string') continue;
        const sent = fieldOf(request.body, name);
        if (sent === before || sent.length > 2000) continue;
        if (isTextList(current[key])) {
          patch[key] = sent
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item !== '');
        } else if (typeof current[key] === 'number' && /^-?\d+(\.\d+)?$/.test(sent.trim())) {
          patch[key] = Number(sent.trim());
        } else {
          patch[key] = sent;
        }
      }
      try {
        if (!Number.isSafeInteger(version) || version < 1) {
          throw new ProblemError(
            'bad-request',
            'The form was sent without its version: reload the page',
          );
        }
        if (Object.keys(patch).length > 0) {
          await stories.update(record.id, patch, version, context(request, signed));
        }
        return reply.redirect(`/story/${encodeURIComponent(record.id)}`, 303);
      } catch (error) {
        if (!(error instanceof ProblemError)) throw error;
        const latest = await stories.get(record.id);
        const detail =
          error.code === 'precondition-failed'
            ? `Not saved: ${record.id} changed since the page was loaded (now version ${latest.version}). The form shows the current values.`
            : `Not saved: ${error.message}`;
        return sendHtml(reply.code(error.status), await storyView(signed, latest, detail));
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    '/story/:id/raw',
    { config, schema: { hide: true } },
    async (request, reply) => {
      const signed = await require(request, reply, 'stories:read');
      if (signed === undefined) return reply;
      const record = await stories.get(request.params.id).catch(() => undefined);
      if (record === undefined)
        return reply.code(404).type('text/plain; charset=utf-8').send('not found');
      const filename = `${record.id.replace(/[^\w.-]/g, '_')}.md`;
      return reply
        .type('text/markdown; charset=utf-8')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .header('etag', `"${record.version}"`)
        .send(Buffer.from(record.document, 'utf8'));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/operations/:id/rollback',
    { config, schema: { hide: true } },
    async (request, reply) => {
      const signed = await require(request, reply, 'stories:write', { write: true });
      if (signed === undefined) return reply;
      const id = request.params.id;
      const force = fieldOf(request.body, 'force') === 'true';
      try {
        const before = await options.operations.get(id);
        await options.operations.rollback(id, force, context(request, signed));
        const story = before.changes[0]?.story;
        return reply.redirect(
          story === undefined ? '/' : `/story/${encodeURIComponent(story)}`,
          303,
        );
      } catch (error) {
        if (!(error instanceof ProblemError)) throw error;
        const conflicts = Array.isArray(error.extensions.conflicts)
          ? error.extensions.conflicts
          : [];
        return sendHtml(
          reply.code(error.status),
          rollbackConflictPage(assets, signed.viewer, id, error.message, conflicts),
        );
      }
    },
  );

  app.get('/deliveries', { config, schema: { hide: true } }, async (request, reply) => {
    const signed = await require(request, reply, 'deliveries:admin');
    if (signed === undefined) return reply;
    const wanted = fieldOf(request.query, 'status');
    const status = (DELIVERY_STATUSES as readonly string[]).includes(wanted)
      ? (wanted as DeliveryStatus)
      : undefined;
    // Unfiltered, dead letters come first (they need someone), then the newest of the rest.
    const items =
      status === undefined
        ? [
            ...(await options.deliveries.list({ status: 'dead' }, 100)).items,
            ...(await options.deliveries.list({}, 100)).items.filter(
              (delivery) => delivery.status !== 'dead',
            ),
          ].slice(0, 100)
        : (await options.deliveries.list({ status }, 100)).items;
    return sendHtml(
      reply,
      deliveriesPage(assets, signed.viewer, items, status, DELIVERY_STATUSES, now()),
    );
  });

  app.get<{ Params: { id: string } }>(
    '/deliveries/:id',
    { config, schema: { hide: true } },
    async (request, reply) => {
      const signed = await require(request, reply, 'deliveries:admin');
      if (signed === undefined) return reply;
      const delivery = await options.deliveries.detail(request.params.id).catch(() => undefined);
      if (delivery === undefined) {
        return sendHtml(
          reply.code(404),
          messagePage(assets, signed.viewer, 'Not found', `No delivery ${request.params.id}.`),
        );
      }
      const operations = await options.operations.list({ delivery: delivery.id }, 50);
      const notice = fieldOf(request.query, 'replayed') === '1' ? 'Queued for replay.' : null;
      return sendHtml(
        reply,
        deliveryPage(assets, signed.viewer, delivery, operations.items, notice),
      );
    },
  );

  app.post<{ Params: { id: string } }>(
    '/deliveries/:id/replay',
    { config, schema: { hide: true } },
    async (request, reply) => {
      const signed = await require(request, reply, 'deliveries:admin', { write: true });
      if (signed === undefined) return reply;
      try {
        await options.deliveries.replay(request.params.id, context(request, signed));
      } catch (error) {
        if (!(error instanceof ProblemError)) throw error;
        return sendHtml(
          reply.code(error.status),
          messagePage(assets, signed.viewer, 'Replay refused', error.message),
        );
      }
      return reply.redirect(`/deliveries/${encodeURIComponent(request.params.id)}?replayed=1`, 303);
    },
  );

  const auditListing = async (query: unknown) => {
    const action = bounded(fieldOf(query, 'action'), 100);
    const story = bounded(fieldOf(query, 'story'), 200);
    const filters = { ...(action === '' ? {} : { action }), ...(story === '' ? {} : { story }) };
    const head = await options.audit.headSeq();
    const unfiltered = action === '' && story === '';
    const page = await options.audit.list({
      ...filters,
      limit: 100,
      ...(unfiltered && head > 100 ? { cursor: encodeAuditCursor(head - 100) } : {}),
    });
    return { filters, entries: page.items };
  };

  app.get('/audit', { config, schema: { hide: true } }, async (request, reply) => {
    const signed = await require(request, reply, 'audit:read');
    if (signed === undefined) return reply;
    const { filters, entries } = await auditListing(request.query);
    return sendHtml(reply, auditPage(assets, signed.viewer, entries, filters, null));
  });

  app.post('/audit/verify', { config, schema: { hide: true } }, async (request, reply) => {
    const signed = await require(request, reply, 'audit:read', { write: true });
    if (signed === undefined) return reply;
    const verification = await options.audit.verify();
    const { filters, entries } = await auditListing({});
    return sendHtml(reply, auditPage(assets, signed.viewer, entries, filters, verification));
  });

  const showRules = async (
    reply: FastifyReply,
    signed: Signed,
    state: Omit<SimulatorState, 'deliveries'>,
  ) => {
    const view = await options.rules.current();
    const managed = new Set(view.rules.map((rule) => rule.name));
    const rows: RuleRow[] = view.effective.map((rule) => ({
      name: rule.name,
      source: managed.has(rule.name)
        ? 'API'
        : rule.name.startsWith('default:')
          ? 'default'
          : 'config',
      on: rule.on,
      conditions: rule.if,
      actions: rule.then,
    }));
    const deliveries = signed.viewer.canSeeDeliveries
      ? (await options.deliveries.list({}, 20)).items
      : [];
    return sendHtml(
      reply,
      rulesPage(assets, signed.viewer, rows, view.version, { ...state, deliveries }),
    );
  };

  app.get('/rules', { config, schema: { hide: true } }, async (request, reply) => {
    const signed = await require(request, reply, 'stories:read');
    if (signed === undefined) return reply;
    return showRules(reply, signed, { provider: 'github', event: '', payload: '', result: null });
  });

  // The simulator: a recent delivery's payload, or one pasted, through the same adapters and
  // rules as a real delivery, in a transaction that is rolled back (OperationService.simulate).
  app.post('/rules/simulate', { config, schema: { hide: true } }, async (request, reply) => {
    const signed = await require(request, reply, 'stories:read', { write: true });
    if (signed === undefined) return reply;
    const deliveryId = fieldOf(request.body, 'delivery');
    let input: { provider: string; event: string; payload: string; source: string };
    if (deliveryId !== '') {
      if (!signed.viewer.canSeeDeliveries) {
        return sendHtml(
          reply.code(403),
          messagePage(
            assets,
            signed.viewer,
            'Not allowed',
            'This token lacks the scope deliveries:admin.',
          ),
        );
      }
      const delivery = await options.deliveries.detail(deliveryId).catch(() => undefined);
      if (delivery === undefined) {
        return sendHtml(
          reply.code(404),
          messagePage(assets, signed.viewer, 'Not found', `No delivery ${deliveryId}.`),
        );
      }
      input = {
        provider: delivery.provider,
        event: delivery.event,
        payload: delivery.body,
        source: `delivery ${delivery.deliveryId}`,
      };
    } else {
      input = {
        provider: fieldOf(request.body, 'provider'),
        event: bounded(fieldOf(request.body, 'event'), 100),
        payload: fieldOf(request.body, 'payload'),
        source: 'the pasted payload',
      };
    }
    const state = {
      provider: input.provider,
      event: input.event,
      payload: deliveryId === '' ? input.payload : '',
    };
    let payload: unknown;
    try {
      payload = JSON.parse(input.payload);
    } catch {
      return showRules(reply.code(400), signed, {
        ...state,
        result: {
          source: input.source,
          events: [],
          operations: [],
          problem: 'The payload is not JSON.',
        },
      });
    }
    try {
      const { events, ignored } = simulationEvents({
        provider: input.provider,
        event: input.event,
        payload,
      });
      const operations = await options.operations.simulate(events, context(request, signed));
      return showRules(reply, signed, {
        ...state,
        result: {
          source: input.source,
          events,
          operations,
          ...(ignored === undefined ? {} : { ignored }),
        },
      });
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      return showRules(reply.code(error.status), signed, {
        ...state,
        result: { source: input.source, events: [], operations: [], problem: error.message },
      });
    }
  });

  const showTokens = async (
    reply: FastifyReply,
    signed: Signed,
    created: { name: string; secret: string } | null,
    problem: string | null,
  ) => {
    const page = await options.tokens.list(undefined, 200, true);
    return sendHtml(reply, tokensPage(assets, signed.viewer, page.items, SCOPES, created, problem));
  };

  app.get('/tokens', { config, schema: { hide: true } }, async (request, reply) => {
    const signed = await require(request, reply, 'tokens:admin');
    if (signed === undefined) return reply;
    return showTokens(reply, signed, null, null);
  });

  app.post('/tokens', { config, schema: { hide: true } }, async (request, reply) => {
    const signed = await require(request, reply, 'tokens:admin', { write: true });
    if (signed === undefined) return reply;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const name = fieldOf(body, 'name').trim();
    const scopes = formList(body, 'scope');
    const days = fieldOf(body, 'expires');
    if (name.length === 0 || name.length > 200) {
      return showTokens(
        reply.code(400),
        signed,
        null,
        'A token needs a name of 1 to 200 characters.',
      );
    }
    if (!['', '1', '30', '90'].includes(days)) {
      return showTokens(reply.code(400), signed, null, 'Pick an expiry from the list.');
    }
    try {
      const created = await options.tokens.create(
        {
          name,
          scopes,
          ...(days === ''
            ? {}
            : { expiresAt: new Date(now() + Number(days) * 86_400_000).toISOString() }),
        },
        signed.principal,
        context(request, signed),
      );
      return showTokens(
        reply.code(201),
        signed,
        { name: created.name, secret: created.token },
        null,
      );
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      return showTokens(reply.code(error.status), signed, null, error.message);
    }
  });

  app.post<{ Params: { id: string } }>(
    '/tokens/:id/revoke',
    { config, schema: { hide: true } },
    async (request, reply) => {
      const signed = await require(request, reply, 'tokens:admin', { write: true });
      if (signed === undefined) return reply;
      try {
        await options.tokens.revoke(request.params.id, context(request, signed));
      } catch (error) {
        if (!(error instanceof ProblemError)) throw error;
        return showTokens(reply.code(error.status), signed, null, error.message);
      }
      return reply.redirect('/tokens', 303);
    },
  );

  // Live board: an event per changed story; the page fetches the card again (GET /cards/:id).
  app.get('/events', { config, schema: { hide: true } }, async (request, reply) => {
    // 204 is how a server tells EventSource to stop reconnecting: the session has ended.
    if ((await signedIn(request)) === undefined) return reply.code(204).send();
    const signed = await require(request, reply, 'stories:read');
    if (signed === undefined) return reply;
    if (streams.size >= MAX_LIVE_STREAMS) {
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
    const unsubscribe = feed.subscribe((changes) => {
      const seen = new Set<string>();
      for (const change of changes) {
        if (seen.has(change.story)) continue;
        seen.add(change.story);
        raw.write(
          `event: story\ndata: ${JSON.stringify({ story: change.story, seq: change.seq })}\n\n`,
        );
      }
    });
    const heartbeat = setInterval(() => {
      // A session that ended (signed out, expired, token revoked) ends its stream.
      if (!sessions.isLive(signed.sessionId)) raw.end();
      else raw.write(': ping\n\n');
    }, 15_000);
    heartbeat.unref();
    const close = () => {
      clearInterval(heartbeat);
      unsubscribe();
    };
    streams.set(raw, signed.sessionId);
    raw.on('close', () => {
      streams.delete(raw);
      close();
    });
  });

  function cookie(request: FastifyRequest, value: string, maxAge: number): string {
    const secure = options.secureCookie === true || request.protocol === 'https';
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
  }
}

function viewerOf(principal: Principal, session: ConsoleSession): Viewer {
  return {
    name: principal.name,
    csrf: session.csrf,
    canReadStories: principalHasScope(principal, 'stories:read'),
    canWriteStories: principalHasScope(principal, 'stories:write'),
    canSeeDeliveries: principalHasScope(principal, 'deliveries:admin'),
    canReadAudit: principalHasScope(principal, 'audit:read'),
    canAdminTokens: principalHasScope(principal, 'tokens:admin'),
  };
}

/** The CSRF token of a form field or the X-CSRF-Token header, and no cross-site Origin. */
function csrfOk(request: FastifyRequest, session: ConsoleSession): boolean {
  if (!sameOrigin(request)) return false;
  const header = request.headers['x-csrf-token'];
  return csrfMatches(session, typeof header === 'string' ? header : fieldOf(request.body, '_csrf'));
}

/** A browser's Origin, when it sends one, names this host. */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function fieldOf(source: unknown, name: string): string {
  if (typeof source !== 'object' || source === null) return '';
  const value = (source as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

/** Every value of a repeated form field (at most 20). */
function formList(body: Record<string, unknown>, name: string): string[] {
  const all = fieldOf(body, `${name}[]`);
  const values = all === '' ? [fieldOf(body, name)] : all.split('\n');
  return values.filter((value) => value !== '').slice(0, 20);
}

function short(value: unknown): string {
  const text =
    value === undefined ? '–' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function bounded(value: string, max: number): string {
  return value.trim().slice(0, max);
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

async function sendHtml(reply: FastifyReply, page: Html): Promise<FastifyReply> {
  return reply.type('text/html; charset=utf-8').send(page.value);
}

interface AssetFile {
  body: Buffer;
  hash: string;
}

function sendAsset(
  request: FastifyRequest,
  reply: FastifyReply,
  file: AssetFile,
  type: string,
): FastifyReply {
  const versioned = (request.query as Record<string, unknown>).v === file.hash;
  return reply
    .type(type)
    .header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('etag', `"${file.hash}"`)
    .send(file.body);
}

/**
 * The script and style sheet: built by `npm run build` into dist/console/ (esbuild); run from
 * src/ (tests, `npm run dev`), the script is bundled here on start with esbuild, a dev dependency.
 */
async function loadAssets(): Promise<{ script: AssetFile; style: AssetFile }> {
  const built = new URL('../../console/', import.meta.url);
  const sources = new URL('../../../client/', import.meta.url);
  const script = await readFile(new URL('console.js', built)).catch(async () => {
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
      entryPoints: [new URL('console.ts', sources).pathname],
      bundle: true,
      minify: true,
      format: 'esm',
      target: 'es2022',
      write: false,
    });
    return Buffer.from(result.outputFiles[0]?.text ?? '');
  });
  const style = await readFile(new URL('console.css', built)).catch(() =>
    readFile(new URL('console.css', sources)),
  );
  return { script: asset(script), style: asset(style) };
}

function asset(body: Buffer): AssetFile {
  return { body, hash: createHash('sha256').update(body).digest('base64url').slice(0, 16) };
}
