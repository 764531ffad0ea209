// Whether the identity that pushed a commit may act through its smart commands. Without a
// `people:` section anyone may (as before people existed); with one, only a configured person
// holding one of the allowed roles: a commit's author line is free text, so what counts is the
// forge account the webhook names as the pusher.
import type { PeopleSettings, Person } from './person.js';

/**
 * Why the smart commands pushed by `identity` are ignored, or undefined when they apply.
 *
 * @example
 * smartCommandRefusal(settings, 'github:mallory', undefined) // → 'github:mallory is not one of people'
 */
export function smartCommandRefusal(
  settings: PeopleSettings,
  identity: string | undefined,
  person: Person | undefined,
): string | undefined {
  if (settings.people.length === 0) return undefined;
  if (identity === undefined)
    return 'no forge account the webhook vouches for pushed it; smart commands need one of people';
  if (person === undefined) return `${identity} is not one of people; smart commands ignored`;
  const roles = settings.smartCommandRoles;
  if (roles === null || person.roles.some((role) => roles.includes(role))) return undefined;
  return `${person.name} (${identity}) holds none of the roles that may use smart commands (${
    roles.length === 0 ? 'none configured' : roles.join(', ')
  })`;
}
