import type { Rule } from '../domain/rules/rule.js';

export interface StoredRules {
  rules: Rule[];
  version: number;
  updatedAt: string;
}

/** The rules managed through the API (PUT /rules). */
export interface RuleRepository {
  getRules(): Promise<StoredRules | undefined>;
  /** Replaces them; false when `expectedVersion` is given and not current. */
  putRules(
    rules: Rule[],
    updatedAt: string,
    expectedVersion?: number,
  ): Promise<StoredRules | undefined>;
}
