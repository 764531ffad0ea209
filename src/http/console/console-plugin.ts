// The web console (DESIGN §9): server-rendered pages at `/` over the same services and scopes as
// the API. A person signs in with a token, which is exchanged for an HttpOnly session cookie;
// every state-changing request carries the session's CSRF token. Registered as one plugin, so
// its hooks (form parsing, security headers, compression) touch only its own routes; each page
// group registers its routes from a file of its own.
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { auditRoutes } from './audit-routes.js';
import { boardRoutes } from './board-routes.js';
import { assetRoutes, assetUrls, loadConsoleAssets } from './console-assets.js';
import { type ConsoleOptions, createConsoleContext } from './console-context.js';
import { ConsoleSessions, DEFAULT_SESSION_LIMITS } from './console-sessions.js';
import { deliveryRoutes } from './delivery-routes.js';
import { outboxRoutes } from './outbox-routes.js';
import { repositoryRoutes } from './repository-routes.js';
import { rulesRoutes } from './rules-routes.js';
import { sessionRoutes } from './session-routes.js';
import { storyRoutes } from './story-routes.js';
import { tokenRoutes } from './token-routes.js';

export async function consolePlugin(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const now = options.now ?? Date.now;
  const sessions = new ConsoleSessions(options.sessionLimits ?? DEFAULT_SESSION_LIMITS, now);
  const files = await loadConsoleAssets();
  const context = createConsoleContext(options, assetUrls(files), sessions, now);
  app.addHook('onClose', async () => {
    for (const stream of context.liveStreams.keys()) stream.end();
  });

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

  assetRoutes(app, files);
  sessionRoutes(app, context);
  boardRoutes(app, context);
  storyRoutes(app, context);
  deliveryRoutes(app, context);
  outboxRoutes(app, context);
  repositoryRoutes(app, context);
  rulesRoutes(app, context);
  auditRoutes(app, context);
  tokenRoutes(app, context);
}
