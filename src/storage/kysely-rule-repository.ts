import type { Kysely, Selectable } from 'kysely';
import type { Rule } from '../domain/rules/rule.js';
import type { AutomationRulesTable, Database } from './database.js';
import { PrecompiledQuery } from './precompiled-query.js';
import type { RuleRepository, StoredRules } from './rule-repository.js';

export class KyselyRuleRepository implements RuleRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async getRules(): Promise<StoredRules | undefined> {
    const [row] = (await RULES.execute(this.db, {})).rows;
    if (row === undefined) return undefined;
    return {
      rules: JSON.parse(row.rules) as Rule[],
      version: Number(row.version),
      updatedAt: row.updated_at,
    };
  }

  async putRules(
    rules: Rule[],
    updatedAt: string,
    expectedVersion?: number,
  ): Promise<StoredRules | undefined> {
    // Without an expected version the write wins over a concurrent one (tried again on it).
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await this.getRules();
      if (expectedVersion !== undefined && (current?.version ?? 0) !== expectedVersion)
        return undefined;
      const version = (current?.version ?? 0) + 1;
      const values = { rules: JSON.stringify(rules), version, updated_at: updatedAt };
      const result =
        current === undefined
          ? await this.db
              .insertInto('automation_rules')
              .values({ id: 1, ...values })
              .onConflict((conflict) => conflict.column('id').doNothing())
              .executeTakeFirst()
          : await this.db
              .updateTable('automation_rules')
              .set(values)
              .where('id', '=', 1)
              .where('version', '=', current.version)
              .executeTakeFirst();
      const written =
        'numInsertedOrUpdatedRows' in result
          ? Number(result.numInsertedOrUpdatedRows ?? 0)
          : Number(result.numUpdatedRows);
      if (written === 1) return { rules, version, updatedAt };
      if (expectedVersion !== undefined) return undefined;
    }
    return undefined;
  }
}

/** Read for every delivery the worker processes: compiled once (see precompiled-query.ts). */
const RULES = new PrecompiledQuery<Record<string, never>, Selectable<AutomationRulesTable>>(
  [],
  (db) => db.selectFrom('automation_rules').selectAll().where('id', '=', 1),
);
