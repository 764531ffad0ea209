// The checks on a `people:` section beyond its shape: each identity is `<provider>:<login>`,
// belongs to one person only, and every role smart commands allow is held by someone.
import { IDENTITY_PATTERN, type Person } from './person.js';

export interface PeopleIssue {
  /** `people[1].identities[0]`, `automation.smartCommands.roles[0]` */
  key: string;
  message: string;
}

const identityShape = new RegExp(IDENTITY_PATTERN);

/**
 * Issues of `people` (already of the right shape) and of the roles allowed to use smart
 * commands; empty when both are fine.
 */
export function validatePeople(
  people: readonly Person[],
  smartCommandRoles: readonly string[] | null,
): PeopleIssue[] {
  const issues: PeopleIssue[] = [];
  const owners = new Map<string, number>();
  const names = new Map<string, number>();
  people.forEach((person, index) => {
    const at = `people[${index}]`;
    const sameName = names.get(person.name);
    if (sameName !== undefined)
      issues.push({ key: `${at}.name`, message: `people[${sameName}] has this name too` });
    names.set(person.name, index);
    person.identities.forEach((identity, identityIndex) => {
      const key = `${at}.identities[${identityIndex}]`;
      if (!identityShape.test(identity)) {
        issues.push({
          key,
          message:
            'must be <provider>:<login> (github:octocat, gitlab:jdoe, bitbucket:{account-uuid}, azure-devops:jdoe@example.com)',
        });
        return;
      }
      if (identity.toLowerCase().startsWith('ci:')) {
        issues.push({
          key,
          message:
            'ci: names what a CI token claims, which no forge vouches for; use the forge the pushes come from',
        });
        return;
      }
      const owner = owners.get(identity.toLowerCase());
      if (owner !== undefined && owner !== index) {
        issues.push({ key, message: `${identity} already belongs to people[${owner}]` });
      } else if (owner === index) {
        issues.push({ key, message: `${identity} is listed twice` });
      }
      owners.set(identity.toLowerCase(), index);
    });
  });
  smartCommandRoles?.forEach((role, index) => {
    if (!people.some((person) => person.roles.includes(role))) {
      issues.push({
        key: `automation.smartCommands.roles[${index}]`,
        message: `no person in people holds the role "${role}"`,
      });
    }
  });
  return issues;
}
