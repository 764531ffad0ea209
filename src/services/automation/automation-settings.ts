// The rules in force and the settings the engine needs: defaults, config rules, and the rules
// managed through PUT /rules, read in the transaction that uses them.
import type { Config } from '../../config/config.js';
import { peopleByIdentity } from '../../domain/people/find-person.js';
import type { PeopleSettings, Person } from '../../domain/people/person.js';
import type { ReferenceConfig } from '../../domain/references/reference-patterns.js';
import { defaultRules } from '../../domain/rules/default-rules.js';
import type { Rule } from '../../domain/rules/rule.js';
import type { Workflow } from '../../domain/story/workflow.js';
import type { Repositories } from '../../storage/store.js';

export class AutomationSettings {
  readonly workflow: Workflow;
  readonly references: ReferenceConfig;
  readonly defaultBranches: readonly string[];
  readonly newStoryPrefix: string;
  /** The `people:` section and the roles that may use smart commands. */
  readonly people: PeopleSettings;
  /** Each identity of `people`, in lower case, to its person. */
  readonly peopleIndex: ReadonlyMap<string, Person>;
  private readonly defaultRules: readonly Rule[];

  constructor(private readonly config: Config) {
    this.workflow = config.workflow;
    this.people = {
      people: config.people,
      smartCommandRoles: config.automation.smartCommands.roles,
    };
    this.peopleIndex = peopleByIdentity(config.people);
    this.defaultRules = config.automation.defaultRules
      ? defaultRules(config.automation.pullRequests)
      : [];
    this.references = config.automation.references;
    this.defaultBranches = config.automation.defaultBranches;
    this.newStoryPrefix = config.automation.newStoryPrefix;
  }

  /** Default rules (unless turned off), then the config file's, then the API-managed ones. */
  async rules(tx: Repositories): Promise<Rule[]> {
    const managed = await tx.rules.getRules();
    return [...this.defaultRules, ...this.config.automation.rules, ...(managed?.rules ?? [])];
  }
}
