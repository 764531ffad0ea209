// What every page group of the console shares: the services, the sessions, the assets, and the
// check of who is signed in and what they may do. Built once by consolePlugin.
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AuditContext, actorOf } from '../../domain/audit/audit-context.js';
import { type Principal, principalHasScope } from '../../domain/auth/principal.js';
import type { Scope } from '../../domain/auth/scopes.js';
import type { Workflow } from '../../domain/story/workflow.js';
import type { AuditService } from '../../services/audit-service.js';
import type { OperationService } from '../../services/automation/operation-service.js';
import type { RuleService } from '../../services/automation/rule-service.js';
import type { DeliveryService } from '../../services/delivery-service.js';
import type { LinkService } from '../../services/link-service.js';
import type { OutboxService } from '../../services/outbox/outbox-service.js';
import type { RepositorySyncService } from '../../services/repositories/repository-sync-service.js';
import type { StoryService } from '../../services/story-service.js';
import type { TokenService } from '../../services/token-service.js';
import { type Assets, messagePage, signInPage, type Viewer } from './console-pages.js';
import { csrfOk, readCookie, sendHtml } from './console-request.js';
import {
  type ConsoleSession,
  type ConsoleSessions,
  DEFAULT_SESSION_LIMITS,
  type SessionLimits,
} from './console-sessions.js';

export interface ConsoleOptions {
  stories: StoryService;
  links: LinkService;
  operations: OperationService;
  audit: AuditService;
  deliveries: DeliveryService;
  outbox: OutboxService;
  repositories: RepositorySyncService;
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

/** A signed-in person: their session, what their token is, and what the pages may show them. */
export interface Signed {
  sessionId: string;
  session: ConsoleSession;
  principal: Principal;
  viewer: Viewer;
}

export interface ConsoleContext {
  options: ConsoleOptions;
  assets: Assets;
  sessions: ConsoleSessions;
  sessionLimits: SessionLimits;
  /** Open live-board streams and the session each belongs to. */
  liveStreams: Map<ServerResponse, string>;
  now: () => number;
  /** The signed-in person of this request, or undefined (the session is dropped when stale). */
  signedIn(request: FastifyRequest): Promise<Signed | undefined>;
  /**
   * The signed-in person allowed `scope`, or undefined when an answer was already sent (sign in,
   * or 403). `write` also checks the CSRF token.
   */
  require(
    request: FastifyRequest,
    reply: FastifyReply,
    scope: Scope,
    access?: { write?: boolean },
  ): Promise<Signed | undefined>;
  /** Who does what, for the audit log. */
  auditContext(request: FastifyRequest, signed: Signed): AuditContext;
}

export function createConsoleContext(
  options: ConsoleOptions,
  assets: Assets,
  sessions: ConsoleSessions,
  now: () => number,
): ConsoleContext {
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

  const require: ConsoleContext['require'] = async (request, reply, scope, access = {}) => {
    const signed = await signedIn(request);
    if (signed === undefined) {
      if (request.method === 'GET' && !access.write) {
        await reply.redirect('/sign-in', 303);
      } else {
        await sendHtml(
          reply.code(401),
          signInPage(assets, 'Your session has ended: sign in again.'),
        );
      }
      return undefined;
    }
    if (access.write === true && !csrfOk(request, signed.session)) {
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

  return {
    options,
    assets,
    sessions,
    sessionLimits: options.sessionLimits ?? DEFAULT_SESSION_LIMITS,
    liveStreams: new Map(),
    now,
    signedIn,
    require,
    auditContext: (request, signed) => ({
      actor: actorOf(signed.principal),
      requestId: request.id,
      reason: null,
    }),
  };
}

function viewerOf(principal: Principal, session: ConsoleSession): Viewer {
  return {
    name: principal.name,
    csrf: session.csrf,
    canReadStories: principalHasScope(principal, 'stories:read'),
    canWriteStories: principalHasScope(principal, 'stories:write'),
    canSeeDeliveries: principalHasScope(principal, 'deliveries:admin'),
    canAdminRepositories: principalHasScope(principal, 'repositories:admin'),
    canReadAudit: principalHasScope(principal, 'audit:read'),
    canAdminTokens: principalHasScope(principal, 'tokens:admin'),
  };
}
