// The shape of nearly every console route: the signed-in person allowed a scope (and, for a
// state-changing request, the session's CSRF token), then a call to the services, then a page,
// a redirect or (for the board's script) JSON; a refusal of the services (a ProblemError)
// answered with a page saying why, at the refusal's status. Anything else is a bug and is
// left to Fastify's error handler.
import type { FastifyReply, FastifyRequest, RouteGenericInterface } from 'fastify';
import type { Scope } from '../../domain/auth/scopes.js';
import { ProblemError } from '../../errors/problem-error.js';
import type { ConsoleContext, Signed } from './console-context.js';
import { messagePage } from './console-pages.js';
import { sendHtml } from './console-request.js';
import type { Html } from './html.js';

/** What a console route answers. */
export type ConsoleOutcome =
  | { redirect: string }
  | { page: Html; status?: number }
  | { json: unknown; status?: number };

export interface ConsoleAction<Route extends RouteGenericInterface> {
  scope: Scope;
  /** A state-changing request: the CSRF token is checked before anything else is done. */
  write: boolean;
  run(request: FastifyRequest<Route>, signed: Signed): Promise<ConsoleOutcome>;
  /** The answer to a refusal; by default a page titled `refusedTitle` giving its message. */
  refused?(
    error: ProblemError,
    request: FastifyRequest<Route>,
    signed: Signed,
  ): Promise<ConsoleOutcome>;
  refusedTitle?: string;
}

/**
 * A route handler for `action`.
 * @example app.post('/audit/verify', route, consoleAction(console, { scope: 'audit:read', write: true, run }))
 */
export function consoleAction<Route extends RouteGenericInterface>(
  context: ConsoleContext,
  action: ConsoleAction<Route>,
): (request: FastifyRequest<Route>, reply: FastifyReply) => Promise<FastifyReply> {
  return async (request, reply) => {
    const signed = await context.require(request, reply, action.scope, { write: action.write });
    if (signed === undefined) return reply;
    let outcome: ConsoleOutcome;
    try {
      outcome = await action.run(request, signed);
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      outcome =
        action.refused === undefined
          ? {
              status: error.status,
              page: messagePage(
                context.assets,
                signed.viewer,
                action.refusedTitle ?? 'Refused',
                error.message,
              ),
            }
          : await action.refused(error, request, signed);
    }
    return send(reply, outcome);
  };
}

async function send(reply: FastifyReply, outcome: ConsoleOutcome): Promise<FastifyReply> {
  if ('redirect' in outcome) return reply.redirect(outcome.redirect, 303);
  if (outcome.status !== undefined) reply.code(outcome.status);
  if ('json' in outcome) return reply.send(outcome.json);
  return sendHtml(reply, outcome.page);
}
