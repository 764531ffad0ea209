import { describe, expect, it } from 'vitest';
import {
  findPerson,
  identityOf,
  peopleByIdentity,
} from '../../../src/domain/people/find-person.js';
import type { Person } from '../../../src/domain/people/person.js';

const ada: Person = {
  name: 'Ada Lovelace',
  identities: [
    'github:ada',
    'gitlab:ada.l',
    'bitbucket:{0f4c1a2e-6d1b-4c1e-9a47-2b8e1f3c5d7a}',
    'azure-devops:ada@contoso.com',
    'gitea:ada',
  ],
  roles: ['developer'],
};
const grace: Person = { name: 'Grace Hopper', identities: ['github:grace'], roles: [] };
const index = peopleByIdentity([ada, grace]);

describe('findPerson', () => {
  it.each([
    ['github', 'ada', 'Ada Lovelace'],
    ['gitlab', 'ada.l', 'Ada Lovelace'],
    ['bitbucket', '{0f4c1a2e-6d1b-4c1e-9a47-2b8e1f3c5d7a}', 'Ada Lovelace'],
    ['azure-devops', 'ada@contoso.com', 'Ada Lovelace'],
    ['gitea', 'ada', 'Ada Lovelace'],
    ['github', 'grace', 'Grace Hopper'],
  ])('maps %s:%s to one person whichever forge it comes from', (provider, login, name) => {
    expect(findPerson(index, provider, login)?.name).toBe(name);
  });

  it('compares identities without regard to case, as the forges compare logins', () => {
    expect(findPerson(index, 'github', 'ADA')?.name).toBe('Ada Lovelace');
    expect(findPerson(index, 'Azure-DevOps', 'Ada@Contoso.com')?.name).toBe('Ada Lovelace');
  });

  it('the same login on another forge is another account: nobody', () => {
    expect(findPerson(index, 'gitlab', 'ada')).toBeUndefined();
    expect(findPerson(index, 'bitbucket', 'ada')).toBeUndefined();
    expect(findPerson(index, 'ci', 'ada')).toBeUndefined();
  });

  it('a login that is not exactly a configured one names nobody', () => {
    expect(findPerson(index, 'github', 'ada ')).toBeUndefined();
    expect(findPerson(index, 'github', 'ada:x')).toBeUndefined();
    expect(findPerson(index, 'git', 'hub:ada')).toBeUndefined();
  });

  it('an identity is <provider>:<login> in lower case, for any provider name', () => {
    expect(identityOf('Azure-DevOps', 'JDoe@Contoso.com')).toBe('azure-devops:jdoe@contoso.com');
    expect(identityOf('forgejo', 'x')).toBe('forgejo:x');
  });
});
