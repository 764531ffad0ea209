// The default rules of DESIGN §5, applied unless the config turns them off.
import type { Rule } from './rule.js';

export const DEFAULT_RULES: readonly Rule[] = Object.freeze([
  {
    name: 'default: branch created or pushed → in_progress',
    on: ['branch.created', 'push'],
    if: { defaultBranch: false },
    then: [{ transition: 'in_progress' }],
  },
  {
    name: 'default: pull request opened or ready → in_review',
    on: ['pr.opened', 'pr.ready'],
    if: { draft: false },
    then: [{ transition: 'in_review' }],
  },
  {
    name: 'default: merged into the default branch → done',
    on: ['pr.merged'],
    if: { defaultBranch: true, reference: 'closes-or-branch', pullRequests: 'last' },
    then: [{ transition: 'done' }],
  },
  {
    name: 'default: closing commit pushed to the default branch → done',
    on: ['push'],
    if: { defaultBranch: true, reference: 'closes', pullRequests: 'last' },
    then: [{ transition: 'done' }],
  },
  {
    name: 'default: deployed to production → done',
    on: ['deployment.succeeded'],
    if: { environment: 'production' },
    then: [{ transition: 'done' }],
  },
  {
    name: 'default: pipeline failed → label ci-failing',
    on: ['pipeline.failed'],
    then: [{ addLabel: 'ci-failing' }],
  },
  {
    name: 'default: pipeline succeeded → remove ci-failing',
    on: ['pipeline.succeeded'],
    then: [{ removeLabel: 'ci-failing' }],
  },
] satisfies Rule[]);

/**
 * The default rules with `automation.pullRequests` in their `pullRequests` conditions: `first`
 * moves a story linked to several PRs to done on the first merge instead of the last.
 */
export function defaultRules(pullRequests: 'last' | 'first'): readonly Rule[] {
  if (pullRequests === 'last') return DEFAULT_RULES;
  return DEFAULT_RULES.map((rule) =>
    rule.if?.pullRequests === undefined ? rule : { ...rule, if: { ...rule.if, pullRequests } },
  );
}
