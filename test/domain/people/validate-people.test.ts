import { describe, expect, it } from 'vitest';
import type { Person } from '../../../src/domain/people/person.js';
import { validatePeople } from '../../../src/domain/people/validate-people.js';

const person = (name: string, identities: string[], roles: string[] = []): Person => ({
  name,
  identities,
  roles,
});

describe('validatePeople', () => {
  it('accepts identities of every forge, and any provider name', () => {
    expect(
      validatePeople(
        [
          person(
            'Ada',
            [
              'github:ada',
              'gitlab:group-bot_1',
              'bitbucket:{0f4c1a2e-6d1b-4c1e-9a47-2b8e1f3c5d7a}',
              'bitbucket:557058:0f4c1a2e',
              'azure-devops:ada@contoso.com',
              'forgejo:ada',
            ],
            ['developer'],
          ),
        ],
        ['developer'],
      ),
    ).toEqual([]);
  });

  it.each([
    ['ada', 'must be <provider>:<login>'],
    ['github:', 'must be <provider>:<login>'],
    ['github: ada', 'must be <provider>:<login>'],
    ['github:ada lovelace', 'must be <provider>:<login>'],
    ['GitHub:ada', 'must be <provider>:<login>'],
    [':ada', 'must be <provider>:<login>'],
    [`github:${'a'.repeat(257)}`, 'must be <provider>:<login>'],
    ['ci:ada', 'no forge vouches for'],
  ])('refuses the identity %j, naming its key', (identity, message) => {
    const [issue, ...rest] = validatePeople([person('Ada', ['github:ok', identity])], null);
    expect(rest).toEqual([]);
    expect(issue?.key).toBe('people[0].identities[1]');
    expect(issue?.message).toContain(message);
  });

  it('an identity belongs to one person: a second owner is refused, whatever its case', () => {
    expect(
      validatePeople([person('Ada', ['github:ada']), person('Eve', ['github:ADA'])], null),
    ).toEqual([
      { key: 'people[1].identities[0]', message: 'github:ADA already belongs to people[0]' },
    ]);
    expect(validatePeople([person('Ada', ['github:ada', 'github:ada'])], null)).toEqual([
      { key: 'people[0].identities[1]', message: 'github:ada is listed twice' },
    ]);
  });

  it('two people may not share a name (history would not tell them apart)', () => {
    expect(
      validatePeople([person('Ada', ['github:a']), person('Ada', ['github:b'])], null),
    ).toEqual([{ key: 'people[1].name', message: 'people[0] has this name too' }]);
  });

  it('a role allowed to use smart commands must be held by someone (a typo locks everyone out)', () => {
    expect(
      validatePeople([person('Ada', ['github:ada'], ['developer'])], ['developer', 'develper']),
    ).toEqual([
      {
        key: 'automation.smartCommands.roles[1]',
        message: 'no person in people holds the role "develper"',
      },
    ]);
    expect(validatePeople([], ['developer'])[0]?.key).toBe('automation.smartCommands.roles[0]');
  });
});
