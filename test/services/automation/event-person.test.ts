import { describe, expect, it } from 'vitest';
import type { AuditActor } from '../../../src/domain/audit/audit-entry.js';
import type { NormalizedEvent } from '../../../src/domain/events/normalized-event.js';
import { peopleByIdentity } from '../../../src/domain/people/find-person.js';
import type { Person } from '../../../src/domain/people/person.js';
import { eventPerson } from '../../../src/services/automation/event-person.js';

const ada: Person = { name: 'Ada Lovelace', identities: ['github:ada'], roles: ['developer'] };
const settings = (people: Person[], roles: string[] | null = null) => ({
  people: { people, smartCommandRoles: roles },
  peopleIndex: peopleByIdentity(people),
});
const webhook: AuditActor = { type: 'webhook', id: 'gh-1', name: 'github' };
const push = (actor: string | undefined, provider = 'github'): NormalizedEvent => ({
  kind: 'push',
  provider,
  repository: 'acme/shop',
  ...(actor === undefined ? {} : { actor }),
});
const origin = (provider?: string) => ({
  deliveryId: 'dlv_1',
  eventIndex: 0,
  actor: webhook,
  requestId: null,
  ...(provider === undefined ? {} : { provider }),
});

describe('eventPerson', () => {
  it('names the person and keeps the login as the forge wrote it', () => {
    expect(eventPerson(push('Ada'), origin('github'), settings([ada]))).toEqual({
      actor: { ...webhook, person: 'Ada Lovelace', login: 'github:Ada' },
      smartCommandRefusal: undefined,
    });
  });

  it('trusts the route the delivery came in through, not the provider the event claims', () => {
    const claimed = eventPerson(push('ada', 'github'), origin('ci'), settings([ada]));
    expect(claimed.actor.person).toBeUndefined();
    expect(claimed.actor.login).toBe('ci:ada');
    expect(claimed.smartCommandRefusal).toBe('ci:ada is not one of people; smart commands ignored');
  });

  it('a simulation (no route) reads the event’s provider', () => {
    expect(eventPerson(push('ada'), origin(), settings([ada])).actor.person).toBe('Ada Lovelace');
  });

  it('without people, the actor is left exactly as it was', () => {
    expect(eventPerson(push('ada'), origin('github'), settings([])).actor).toBe(webhook);
  });

  it('an overlong login names nobody and is not stored', () => {
    const long = eventPerson(push('a'.repeat(257)), origin('github'), settings([ada]));
    expect(long.actor).toBe(webhook);
    expect(long.smartCommandRefusal).toContain('no forge account');
  });

  it('a login that is an identity of another provider does not borrow it', () => {
    // github:ada is Ada; a GitLab user named "github:ada" is gitlab:github:ada.
    const spoof = eventPerson(push('github:ada', 'gitlab'), origin('gitlab'), settings([ada]));
    expect(spoof.actor.person).toBeUndefined();
    expect(spoof.smartCommandRefusal).toBe(
      'gitlab:github:ada is not one of people; smart commands ignored',
    );
  });
});
