// The rules managed through the API: read with the rules in force, replaced as a whole after
// validation (a bad rule names the rule and the key), guarded by a version, and audited.

import type { AuditContext } from '../../domain/audit/audit-context.js';
import { auditEntry } from '../../domain/audit/audit-entry.js';
import type { Clock } from '../../domain/clock.js';
import type { Rule } from '../../domain/rules/rule.js';
import { validateRules } from '../../domain/rules/validate-rules.js';
import type { Workflow } from '../../domain/story/workflow.js';
import { ProblemError } from '../../errors/problem-error.js';
import type { StoredRules } from '../../storage/rule-repository.js';
import type { Store } from '../../storage/store.js';
import type { AutomationSettings } from './automation-settings.js';

export interface RulesView {
  /** The rules set through PUT /rules. */
  rules: Rule[];
  version: number;
  /** Every rule in force, in evaluation order. */
  effective: Rule[];
}

export class RuleService {
  constructor(
    private readonly store: Store,
    private readonly settings: AutomationSettings,
    private readonly workflow: Workflow,
    private readonly clock: Clock,
  ) {}

  /** The managed rules and every rule in force. */
  async current(): Promise<RulesView> {
    const managed = await this.store.rules.getRules();
    return {
      rules: managed?.rules ?? [],
      version: managed?.version ?? 0,
      effective: await this.settings.rules(this.store),
    };
  }

  /** Replaces the managed rules; 400 for a bad rule, 412 when `expectedVersion` is stale. */
  async replace(
    input: unknown,
    expectedVersion: number | undefined,
    context: AuditContext,
  ): Promise<StoredRules> {
    const { rules, issues } = validateRules(input, this.workflow);
    if (issues.length > 0) {
      throw new ProblemError(
        'validation',
        issues
          .map(
            (issue) =>
              `${issue.path}${issue.rule ? ` (rule "${issue.rule}")` : ''}: ${issue.message}`,
          )
          .join('; '),
        {
          errors: issues.map((issue) => ({
            field: issue.path,
            message: issue.message,
            ...(issue.rule ? { rule: issue.rule } : {}),
          })),
        },
      );
    }
    return this.store.transaction(async (tx) => {
      const now = this.clock.now().toISOString();
      const before = await tx.rules.getRules();
      const saved = await tx.rules.putRules(rules, now, expectedVersion);
      if (saved === undefined) {
        throw new ProblemError(
          'precondition-failed',
          `The rules are at version ${(await tx.rules.getRules())?.version ?? 0}, not ${expectedVersion}`,
        );
      }
      await tx.audit.append([
        auditEntry({
          occurredAt: now,
          actor: context.actor,
          action: 'rules.updated',
          targetType: 'rule',
          targetId: 'rules',
          before: (before?.rules ?? null) as never,
          after: rules as never,
          requestId: context.requestId,
        }),
      ]);
      return saved;
    });
  }
}
