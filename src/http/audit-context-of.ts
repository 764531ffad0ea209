import type { FastifyRequest } from 'fastify';
import { type AuditContext, actorOf } from '../domain/audit/audit-context.js';

/** The audit attribution of an HTTP request: its principal and request id. */
export function auditContextOf(request: FastifyRequest, reason?: string): AuditContext {
  return { actor: actorOf(request.principal), requestId: request.id, reason: reason ?? null };
}
