// Small readers of a console request (form fields, cookies, origin) and the one way a page is
// sent. Forms arrive as flat records of strings (see the form parser in console-plugin.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ConsoleSession, csrfMatches } from './console-sessions.js';
import type { Html } from './html.js';

export function fieldOf(source: unknown, name: string): string {
  if (typeof source !== 'object' || source === null) return '';
  const value = (source as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

/** Every value of a repeated form field (at most 20). */
export function formList(body: Record<string, unknown>, name: string): string[] {
  const all = fieldOf(body, `${name}[]`);
  const values = all === '' ? [fieldOf(body, name)] : all.split('\n');
  return values.filter((value) => value !== '').slice(0, 20);
}

export function bounded(value: string, max: number): string {
  return value.trim().slice(0, max);
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/** A browser's Origin, when it sends one, names this host. */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/** The CSRF token of a form field or the X-CSRF-Token header, and no cross-site Origin. */
export function csrfOk(request: FastifyRequest, session: ConsoleSession): boolean {
  if (!sameOrigin(request)) return false;
  const header = request.headers['x-csrf-token'];
  return csrfMatches(session, typeof header === 'string' ? header : fieldOf(request.body, '_csrf'));
}

export async function sendHtml(reply: FastifyReply, page: Html): Promise<FastifyReply> {
  return reply.type('text/html; charset=utf-8').send(page.value);
}

/** The `status` query parameter when it is one of `statuses`, else undefined (no filter). */
export function statusFilter<Status extends string>(
  query: unknown,
  statuses: readonly Status[],
): Status | undefined {
  const wanted = fieldOf(query, 'status');
  return (statuses as readonly string[]).includes(wanted) ? (wanted as Status) : undefined;
}

/**
 * A list page's rows: those of `status` when one is asked for; else the dead ones first (they
 * need someone), then the rest, `limit` in all.
 */
export async function deadFirst<Row extends { status: string }>(
  status: string | undefined,
  list: (status: string | undefined) => Promise<Row[]>,
  limit: number,
): Promise<Row[]> {
  if (status !== undefined) return list(status);
  const dead = await list('dead');
  const rest = (await list(undefined)).filter((row) => row.status !== 'dead');
  return [...dead, ...rest].slice(0, limit);
}
