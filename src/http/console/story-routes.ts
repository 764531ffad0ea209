// A story's page: its fields (edited with the version the page was loaded at), body, links,
// operations (with rollback), history, and the document's exact bytes.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemError } from '../../errors/problem-error.js';
import type { StoryJson, StoryService } from '../../services/story-service.js';
import { consoleAction } from './console-action.js';
import type { ConsoleContext, Signed } from './console-context.js';
import { messagePage } from './console-pages.js';
import { fieldOf } from './console-request.js';
import {
  editableFields,
  fieldFromForm,
  fieldKind,
  formValue,
  MAX_FIELD_CHARS,
  sentFormValue,
} from './field-forms.js';
import { missedChanges } from './missed-changes.js';
import { rollbackConflictPage, type StaleEdit, storyPage } from './story-pages.js';

type StoryRecord = Awaited<ReturnType<StoryService['get']>>;
type ById = { Params: { id: string } };

export function storyRoutes(app: FastifyInstance, context: ConsoleContext): void {
  const { assets, options } = context;
  const { stories, links, workflow } = options;
  const route = { config: { auth: 'public' as const }, schema: { hide: true } };

  const storyView = async (
    signed: Signed,
    record: StoryRecord,
    notice: string | null,
    stale: StaleEdit | null = null,
  ) => {
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
    return storyPage(assets, signed.viewer, workflow, data, notice, stale);
  };

  const notFound = async (_error: ProblemError, request: FastifyRequest<ById>, signed: Signed) => ({
    status: 404,
    page: messagePage(assets, signed.viewer, 'Not found', `No story ${request.params.id}.`),
  });

  app.get<ById>(
    '/story/:id',
    route,
    consoleAction<ById>(context, {
      scope: 'stories:read',
      write: false,
      run: async (request, signed) => ({
        page: await storyView(signed, await stories.get(request.params.id), null),
      }),
      refused: notFound,
    }),
  );

  // Frontmatter fields edited with the version the page was loaded at (If-Match): only the
  // fields whose value changed are sent, so the rest of the document keeps its bytes. A story
  // changed meanwhile is not overwritten: the page shows what changed and the values sent, on
  // the current version, to save again.
  app.post<ById>(
    '/story/:id/fields',
    route,
    consoleAction<ById>(context, {
      scope: 'stories:write',
      write: true,
      run: async (request, signed) => {
        const record = await stories.get(request.params.id);
        const version = Number(fieldOf(request.body, 'version'));
        if (!Number.isSafeInteger(version) || version < 1) {
          throw new ProblemError(
            'bad-request',
            'The form was sent without its version: reload the page',
          );
        }
        const patch = fieldPatch(stories.toJson(record), request.body);
        if (Object.keys(patch).length > 0) {
          await stories.update(record.id, patch, version, context.auditContext(request, signed));
        }
        return { redirect: `/story/${encodeURIComponent(record.id)}` };
      },
      refused: async (error, request, signed) => {
        if (error.code === 'story-not-found') return notFound(error, request, signed);
        const latest = await stories.get(request.params.id);
        if (error.code !== 'precondition-failed') {
          return {
            status: error.status,
            page: await storyView(signed, latest, `Not saved: ${error.message}`),
          };
        }
        const version = Number(fieldOf(request.body, 'version'));
        const missed = await missedChanges(options.audit, latest.id, version, latest.version);
        const sent = sentEdits(stories.toJson(latest), request.body, missed.loaded);
        const notice =
          `Not saved: ${latest.id} changed since the page was loaded (now version ${latest.version}). ` +
          'The form holds your edits on the current version: save again to apply them.';
        return {
          status: error.status,
          page: await storyView(signed, latest, notice, { missed, sent }),
        };
      },
    }),
  );

  app.get<ById>('/story/:id/raw', route, async (request, reply) => {
    const signed = await context.require(request, reply, 'stories:read');
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
  });

  app.post<ById>(
    '/operations/:id/rollback',
    route,
    consoleAction<ById>(context, {
      scope: 'stories:write',
      write: true,
      run: async (request, signed) => {
        const { id } = request.params;
        const force = fieldOf(request.body, 'force') === 'true';
        const before = await options.operations.get(id);
        await options.operations.rollback(id, force, context.auditContext(request, signed));
        const story = before.changes[0]?.story;
        return { redirect: story === undefined ? '/' : `/story/${encodeURIComponent(story)}` };
      },
      refused: async (error, request, signed) => {
        const conflicts = Array.isArray(error.extensions.conflicts)
          ? error.extensions.conflicts
          : [];
        return {
          status: error.status,
          page: rollbackConflictPage(
            assets,
            signed.viewer,
            request.params.id,
            error.message,
            conflicts,
          ),
        };
      },
    }),
  );
}

/** The fields of the form whose value differs from the story's, as the story stores them. */
function fieldPatch(current: StoryJson, body: unknown): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [key, before] of editableFields(current)) {
    const name = `field.${key}`;
    // A field left out of the form is left as it is.
    if (typeof (body as Record<string, unknown> | null)?.[name] !== 'string') continue;
    const kind = fieldKind(current[key]);
    const sent = sentFormValue(kind, fieldOf(body, name));
    if (sent === before || sent.length > MAX_FIELD_CHARS[kind]) continue;
    patch[key] = fieldFromForm(key, current[key], sent);
  }
  return patch;
}

/**
 * The values a person edited in a refused form: those that differ from the story now, except a
 * field someone else changed that the form still holds as it was loaded (sending it again would
 * undo their change).
 */
function sentEdits(
  current: StoryJson,
  body: unknown,
  loaded: Record<string, unknown>,
): Record<string, string> {
  const sent: Record<string, string> = {};
  for (const key of Object.keys(fieldPatch(current, body))) {
    const value = sentFormValue(fieldKind(current[key]), fieldOf(body, `field.${key}`));
    if (key in loaded && formValue(loaded[key]) === value) continue;
    sent[key] = value;
  }
  return sent;
}
