// The rules in force and the settings the engine needs: defaults, config rules, and the rules
// managed through PUT /rules, read in the transaction that uses them.
import type { Config } from '../../config/config.js';
import type { ReferenceConfig } from '../../domain/references/reference-patterns.js';
import { DEFAULT_RULES } from '../../domain/rules/default-rules.js';
import type { Rule } from '../../domain/rules/rule.js';
import type { Workflow } from '../../domain/story/workflow.js';
import type { Repositories } from '../../storage/store.js';

export class AutomationSettings {
  readonly workflow: Workflow;
  readonly references: ReferenceConfig;
  readonly defaultBranches: readonly string[];
  readonly newStoryPrefix: string;

  constructor(private readonly config: Config) {
    this.workflow = config.workflow;
    this.references = config.automation.references;
    this.defaultBranches = config.automation.defaultBranches;
    this.newStoryPrefix = config.automation.newStoryPrefix;
  }

  /** Default rules (unless turned off), then the config file's, then the API-managed ones. */
  async rules(tx: Repositories): Promise<Rule[]> {
    const managed = await tx.rules.getRules();
    return [
      ...(this.config.automation.defaultRules ? DEFAULT_RULES : []),
      ...this.config.automation.rules,
      ...(managed?.rules ?? []),
    ];
  }
}
