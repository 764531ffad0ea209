// Signing in and out: a token exchanged for a session cookie, failed attempts limited per
// address, and sign-out ending the session's open live boards at once.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ConsoleContext } from './console-context.js';
import { SESSION_COOKIE } from './console-context.js';
import { messagePage, signInPage } from './console-pages.js';
import { csrfOk, fieldOf, sameOrigin, sendHtml } from './console-request.js';

const FAILED_SIGN_INS_PER_MINUTE = 10;

export function sessionRoutes(app: FastifyInstance, context: ConsoleContext): void {
  const { assets, sessions, now } = context;
  const route = { config: { auth: 'public' as const }, schema: { hide: true } };
  const failedSignIns = new Map<string, { count: number; since: number }>();

  app.get('/console', route, async (_request, reply) => reply.redirect('/', 302));

  app.get('/sign-in', route, async (request, reply) => {
    if ((await context.signedIn(request)) !== undefined) return reply.redirect('/', 303);
    return sendHtml(reply, signInPage(assets, null));
  });

  app.post('/sign-in', route, async (request, reply) => {
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
        : await context.options.tokens.authenticate(token);
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
    reply.header(
      'set-cookie',
      cookie(context, request, id, Math.floor(context.sessionLimits.absoluteMs / 1000)),
    );
    return reply.redirect('/', 303);
  });

  app.post('/sign-out', route, async (request, reply) => {
    const signed = await context.signedIn(request);
    if (signed !== undefined && !csrfOk(request, signed.session)) {
      return sendHtml(
        reply.code(403),
        messagePage(assets, signed.viewer, 'Refused', 'CSRF check failed.'),
      );
    }
    if (signed !== undefined) {
      sessions.delete(signed.sessionId);
      // Its open boards stop following at once (their reconnect is refused).
      for (const [stream, session] of context.liveStreams) {
        if (session === signed.sessionId) stream.end();
      }
    }
    reply.header('set-cookie', cookie(context, request, '', 0));
    return reply.redirect('/sign-in', 303);
  });
}

function cookie(
  context: ConsoleContext,
  request: FastifyRequest,
  value: string,
  maxAge: number,
): string {
  const secure = context.options.secureCookie === true || request.protocol === 'https';
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}
