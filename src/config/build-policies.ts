// The sections that decide what storyflow does and for whom: the workflow, the automation rules
// and references, people, deployment gates and OIDC policies; each refused naming its key.
import { policyPinsRepository } from '../domain/auth/oidc-policy.js';
import { isScope } from '../domain/auth/scopes.js';
import type { Person } from '../domain/people/person.js';
import { validatePeople } from '../domain/people/validate-people.js';
import { DEFAULT_REFERENCE_CONFIG } from '../domain/references/reference-patterns.js';
import { validateRules } from '../domain/rules/validate-rules.js';
import {
  DEFAULT_WORKFLOW,
  freezeWorkflow,
  validateWorkflow,
  type Workflow,
} from '../domain/story/workflow.js';
import type { Config } from './config.js';
import { ConfigError } from './config-error.js';
import type { ConfigFile } from './config-file-schema.js';

export function buildAutomation(
  section: ConfigFile['automation'],
  references: ConfigFile['references'],
  workflow: Workflow,
  /** The config file the rules came from, named in errors like every other file error. */
  file: string | null,
): Config['automation'] {
  const { rules, issues } = validateRules(section?.rules ?? [], workflow);
  const first = issues[0];
  if (first !== undefined) {
    throw new ConfigError(
      `${file === null ? '' : `${file}: `}automation.${first.path}`,
      `${first.rule === null ? '' : `rule "${first.rule}": `}${first.message}`,
    );
  }
  return Object.freeze({
    defaultRules: section?.defaultRules ?? true,
    rules,
    defaultBranches: section?.defaultBranches ?? ['main', 'master'],
    newStoryPrefix: section?.newStoryPrefix ?? 'STORY',
    pullRequests: section?.pullRequests ?? 'last',
    smartCommands: Object.freeze({ roles: section?.smartCommands?.roles ?? null }),
    references: Object.freeze({
      ...DEFAULT_REFERENCE_CONFIG,
      ...(references?.prefixes === undefined ? {} : { prefixes: references.prefixes }),
      ...(references?.closingWords === undefined
        ? {}
        : { closingWords: references.closingWords.map((word) => word.toLowerCase()) }),
      ...(references?.trailers === undefined ? {} : { trailers: references.trailers }),
      ...(references?.ignoredPrefixes === undefined
        ? {}
        : { ignoredPrefixes: references.ignoredPrefixes }),
    }),
  });
}

/** The `people:` section, checked with the roles smart commands allow. */
export function buildPeople(
  section: ConfigFile['people'],
  smartCommandRoles: readonly string[] | undefined,
  file: string | null,
): Config['people'] {
  const people: Person[] = (section ?? []).map((person) =>
    Object.freeze({
      name: person.name,
      identities: Object.freeze([...person.identities]),
      roles: Object.freeze([...(person.roles ?? [])]),
    }),
  );
  const first = validatePeople(people, smartCommandRoles ?? null)[0];
  if (first !== undefined) {
    throw new ConfigError(`${file === null ? '' : `${file}: `}${first.key}`, first.message);
  }
  return Object.freeze(people);
}

/** `gates:`: each environment's required statuses, each a status of the workflow. */
export function buildGates(
  section: ConfigFile['gates'],
  workflow: Workflow,
  file: string | null,
): Config['gates'] {
  return Object.freeze(
    Object.entries(section ?? {}).map(([environment, gate]) => {
      if (environment.length > 256)
        throw new ConfigError(
          `${file === null ? '' : `${file}: `}gates`,
          'an environment name is longer than 256 characters',
        );
      gate.require.forEach((status, index) => {
        if (!workflow.statuses.includes(status)) {
          throw new ConfigError(
            `${file === null ? '' : `${file}: `}gates.${environment}.require[${index}]`,
            `"${status}" is not a status of the workflow (${workflow.statuses.join(', ')})`,
          );
        }
      });
      return Object.freeze({ environment, require: Object.freeze([...new Set(gate.require)]) });
    }),
  );
}

export function buildOidc(section: ConfigFile['oidc']): Config['oidc'] {
  const issuers = (section?.issuers ?? []).map((issuer) => ({
    issuer: issuer.issuer,
    audience: typeof issuer.audience === 'string' ? [issuer.audience] : issuer.audience,
    ...(issuer.jwksUri === undefined ? {} : { jwksUri: issuer.jwksUri }),
  }));
  const policies = (section?.policies ?? []).map((policy, index) => {
    if (!issuers.some((issuer) => issuer.issuer === policy.issuer)) {
      throw new ConfigError(
        `oidc.policies[${index}].issuer`,
        `"${policy.issuer}" is not one of oidc.issuers`,
      );
    }
    const claims = Object.fromEntries(
      Object.entries(policy.claims).map(([claim, value]) => [claim, String(value)]),
    );
    if (!policyPinsRepository(claims)) {
      throw new ConfigError(
        `oidc.policies[${index}].claims`,
        'must pin a repository or owner (repository, repository_owner, project_path, namespace_path, ' +
          'repository_id or project_id without a wildcard owner); otherwise every pipeline of the issuer is trusted',
      );
    }
    policy.scopes.forEach((scope, scopeIndex) => {
      if (!isScope(scope)) {
        throw new ConfigError(
          `oidc.policies[${index}].scopes[${scopeIndex}]`,
          `"${scope}" is not a scope`,
        );
      }
    });
    return {
      name: policy.name ?? `policy ${index + 1}`,
      issuer: policy.issuer,
      claims: Object.fromEntries(
        Object.entries(policy.claims).map(([claim, value]) => [claim, String(value)]),
      ),
      scopes: policy.scopes,
      ...(policy.repositories === undefined ? {} : { repositories: policy.repositories }),
    };
  });
  return Object.freeze({ issuers, policies });
}

export function buildWorkflow(section: ConfigFile['workflow']): Workflow {
  if (section === undefined) return DEFAULT_WORKFLOW;
  const statuses = section.statuses ?? [...DEFAULT_WORKFLOW.statuses];
  const workflow: Workflow = {
    statuses,
    initial: section.initial ?? statuses[0] ?? DEFAULT_WORKFLOW.initial,
    order:
      section.order ?? (section.statuses === undefined ? [...DEFAULT_WORKFLOW.order] : statuses),
    transitions:
      section.transitions ??
      (section.statuses === undefined
        ? DEFAULT_WORKFLOW.transitions
        : Object.fromEntries(statuses.map((s) => [s, statuses.filter((t) => t !== s)]))),
  };
  const issues = validateWorkflow(workflow);
  const first = issues[0];
  if (first !== undefined) throw new ConfigError(first.key, first.message);
  return freezeWorkflow(workflow);
}
