// What each route requires, declared in its route config:
//   app.get('/stories', { config: { auth: { scope: 'stories:read' } } }, …)
//   app.get('/healthz', { config: { auth: 'public' } }, …)
// A route under /api/v1 that declares nothing needs `admin`: a route added without a guard
// fails closed.

import type { Principal } from '../../domain/auth/principal.js';
import type { Scope } from '../../domain/auth/scopes.js';

export type RouteAuth = 'public' | { scope: Scope };

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    /** Set by the auth hook for every authenticated request. */
    principal?: Principal;
  }
}

export function requiredAuth(config: { auth?: RouteAuth } | undefined, url: string): RouteAuth {
  if (config?.auth !== undefined) return config.auth;
  return url.startsWith('/api/') ? { scope: 'admin' } : 'public';
}
