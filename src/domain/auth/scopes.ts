// What a credential may do. `admin` holds every scope; writing stories includes reading them.

export const SCOPES = [
  'stories:read',
  'stories:write',
  'ci:events',
  'deployments:write',
  'deliveries:admin',
  'audit:read',
  'tokens:admin',
  'repositories:admin',
  'admin',
] as const;

export type Scope = (typeof SCOPES)[number];

const IMPLIED: Partial<Record<Scope, readonly Scope[]>> = {
  'stories:write': ['stories:read'],
};

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Whether a set of granted scopes covers `required`. */
export function hasScope(granted: readonly string[], required: Scope): boolean {
  if (granted.includes('admin') || granted.includes(required)) return true;
  return granted.some((scope) => isScope(scope) && (IMPLIED[scope] ?? []).includes(required));
}
