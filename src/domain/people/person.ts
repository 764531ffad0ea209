// One person across forges: the identities (`github:octocat`, `gitlab:jdoe`, …) the config maps
// to them, and the roles they hold. No e-mail address: a forge login is what a webhook proves.

/** A person of the `people:` config section. */
export interface Person {
  /** How history and audit name them: `Ada Lovelace`. */
  readonly name: string;
  /** `<provider>:<login>` as the config wrote them (`github:ada`, `azure-devops:ada@contoso.com`). */
  readonly identities: readonly string[];
  readonly roles: readonly string[];
}

/** The `people:` section and who may use smart commands. */
export interface PeopleSettings {
  readonly people: readonly Person[];
  /**
   * `automation.smartCommands.roles`: with people configured, only a person holding one of these
   * may use smart commands; null lets every configured person use them.
   */
  readonly smartCommandRoles: readonly string[] | null;
}

/** `<provider>:<login>`: the provider is the webhook route's name, the login is the forge's. */
export const IDENTITY_PATTERN = '^[a-z][a-z0-9-]{0,31}:[^\\s:][^\\s]{0,255}$';

/** Longest person name and role, in characters. */
export const PERSON_LIMITS = { name: 200, role: 64 } as const;
