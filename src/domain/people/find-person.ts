// Which configured person a forge identity belongs to. Identities compare without regard to
// case: GitHub, GitLab, Gitea and Azure DevOps logins are unique regardless of case, and a
// Bitbucket account id is the same in either.
import type { Person } from './person.js';

/** The identity a provider's login makes: `github` and `Octocat` → `github:octocat`. */
export function identityOf(provider: string, login: string): string {
  return `${provider}:${login}`.toLowerCase();
}

/** Each identity (lower case) of `people`, to the person it names. */
export function peopleByIdentity(people: readonly Person[]): ReadonlyMap<string, Person> {
  const index = new Map<string, Person>();
  for (const person of people)
    for (const identity of person.identities) index.set(identity.toLowerCase(), person);
  return index;
}

/**
 * The person `login` on `provider` is, if the config names them.
 *
 * @example
 * findPerson(peopleByIdentity(people), 'gitlab', 'jdoe') // → { name: 'Jane Doe', … }
 */
export function findPerson(
  index: ReadonlyMap<string, Person>,
  provider: string,
  login: string,
): Person | undefined {
  return index.get(identityOf(provider, login));
}
