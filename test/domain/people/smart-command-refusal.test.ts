import { describe, expect, it } from 'vitest';
import type { PeopleSettings, Person } from '../../../src/domain/people/person.js';
import { smartCommandRefusal } from '../../../src/domain/people/smart-command-refusal.js';

const ada: Person = { name: 'Ada Lovelace', identities: ['github:ada'], roles: ['developer'] };
const grace: Person = { name: 'Grace Hopper', identities: ['github:grace'], roles: ['viewer'] };

describe('smartCommandRefusal', () => {
  it('without people, anyone may use smart commands (as before people existed)', () => {
    const none: PeopleSettings = { people: [], smartCommandRoles: null };
    expect(smartCommandRefusal(none, 'github:mallory', undefined)).toBeUndefined();
    expect(smartCommandRefusal(none, undefined, undefined)).toBeUndefined();
  });

  it('with people, an unmapped identity is refused, and the refusal names it', () => {
    const settings: PeopleSettings = { people: [ada], smartCommandRoles: null };
    expect(smartCommandRefusal(settings, 'github:mallory', undefined)).toBe(
      'github:mallory is not one of people; smart commands ignored',
    );
    expect(smartCommandRefusal(settings, undefined, undefined)).toContain('no forge account');
  });

  it('with people and no roles configured, every configured person may', () => {
    const settings: PeopleSettings = { people: [ada, grace], smartCommandRoles: null };
    expect(smartCommandRefusal(settings, 'github:grace', grace)).toBeUndefined();
  });

  it('with roles configured, only a person holding one of them may', () => {
    const settings: PeopleSettings = { people: [ada, grace], smartCommandRoles: ['developer'] };
    expect(smartCommandRefusal(settings, 'github:ada', ada)).toBeUndefined();
    expect(smartCommandRefusal(settings, 'github:grace', grace)).toBe(
      'Grace Hopper (github:grace) holds none of the roles that may use smart commands (developer)',
    );
  });

  it('an empty list of roles turns smart commands off for everyone', () => {
    const settings: PeopleSettings = { people: [ada], smartCommandRoles: [] };
    expect(smartCommandRefusal(settings, 'github:ada', ada)).toContain('none configured');
  });
});
