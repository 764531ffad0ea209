// Who an event comes from, as history should name them: the forge account the webhook's route
// vouches for (`github:ada`) and, through the `people:` section, the person it belongs to. Also
// whether that person may use smart commands.
import type { AuditActor } from '../../domain/audit/audit-entry.js';
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import { findPerson } from '../../domain/people/find-person.js';
import type { PeopleSettings, Person } from '../../domain/people/person.js';
import { smartCommandRefusal } from '../../domain/people/smart-command-refusal.js';
import type { EventOrigin } from './event-origin.js';

export interface EventPerson {
  /** The origin's actor, with `login` and `person` when `people:` is configured and known. */
  actor: AuditActor;
  /** Why smart commands in the event's commits are ignored; undefined when they apply. */
  smartCommandRefusal: string | undefined;
}

/** Longest login kept, in characters (a login past it names nobody). */
const LOGIN_LIMIT = 256;

export function eventPerson(
  event: NormalizedEvent,
  origin: EventOrigin,
  settings: { people: PeopleSettings; peopleIndex: ReadonlyMap<string, Person> },
): EventPerson {
  const provider = origin.provider ?? event.provider;
  const login =
    event.actor === undefined || event.actor.length > LOGIN_LIMIT ? undefined : event.actor;
  const identity = login === undefined ? undefined : `${provider}:${login}`;
  const person =
    login === undefined ? undefined : findPerson(settings.peopleIndex, provider, login);
  // Without people: entries stay as they were before people existed.
  const actor: AuditActor =
    settings.people.people.length === 0 || identity === undefined
      ? origin.actor
      : {
          ...origin.actor,
          ...(person === undefined ? {} : { person: person.name }),
          login: identity,
        };
  return {
    actor,
    smartCommandRefusal: smartCommandRefusal(settings.people, identity, person),
  };
}
