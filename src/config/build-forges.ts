// `forges:`: the forges storyflow talks back to (docs/forge-feedback.md), each with its token or
// GitHub App key read from the environment or a file when the config loads
// (read-forge-credentials.ts). Errors name the key (`forges[0].token.env`).
import {
  DEFAULT_LINKBACK_TEMPLATE,
  linkbackTemplateProblem,
} from '../domain/outbox/linkback-comment.js';
import type { Config, ForgeProvider } from './config.js';
import { ConfigError } from './config-error.js';
import type { ConfigFile } from './config-file-schema.js';
import { readForgeCredentials } from './read-forge-credentials.js';

/** The providers the outbox has an API client for (src/services/outbox/forge-clients.ts). */
export const FORGES_WITH_CLIENTS: ReadonlySet<ForgeProvider> = new Set<ForgeProvider>([
  'github',
  'gitea',
  'bitbucket',
  'azure-devops',
  'gitlab',
]);

/**
 * Each provider's API root when `apiUrl` is left out; null: it must be given (a self-hosted
 * Gitea or Forgejo, an Azure DevOps organization). docs/forge-feedback.md.
 */
const DEFAULT_API_URLS: Readonly<Partial<Record<ForgeProvider, string | null>>> = {
  github: 'https://api.github.com',
  gitlab: 'https://gitlab.com/api/v4',
  gitea: null,
  bitbucket: 'https://api.bitbucket.org/2.0',
  'azure-devops': null,
};

/** What `apiUrl` looks like for the providers that need one, for the error that asks for it. */
const API_URL_EXAMPLES: Readonly<Partial<Record<ForgeProvider, string>>> = {
  gitea: 'https://gitea.example.com/api/v1',
  'azure-devops': 'https://dev.azure.com/{organization}',
};

/** How each provider names a repository (`repository:`) and an owner (`owner:`). */
const REPOSITORY_FORMS: Readonly<Partial<Record<ForgeProvider, string>>> = {
  bitbucket: 'workspace/repo_slug',
  'azure-devops': 'project/repository (spaces written %20)',
};

const OWNER_NAME = /^[^/\s]+\/[^/\s]+$/;
const NESTED_PATH = /^[^/\s]+(?:\/[^/\s]+)+$/;
const GROUP_PATH = /^[^/\s]+(?:\/[^/\s]+)*$/;

/** The providers whose missed webhook deliveries storyflow can find and have sent again. */
export const RECONCILED_PROVIDERS: ReadonlySet<ForgeProvider> = new Set<ForgeProvider>([
  'github',
  'gitlab',
]);

export function buildForges(
  section: ConfigFile['forges'],
  env: Record<string, string | undefined>,
  base: string,
  file: string | null,
): Config['forges'] {
  const at = (index: number, key: string) =>
    `${file === null ? '' : `${file}: `}forges[${index}]${key === '' ? '' : `.${key}`}`;
  const seen = new Set<string>();
  return Object.freeze(
    (section ?? []).map((forge, index) => {
      if (!FORGES_WITH_CLIENTS.has(forge.provider))
        throw new ConfigError(
          at(index, 'provider'),
          `${forge.provider} is not supported yet (supported: ${[...FORGES_WITH_CLIENTS].join(', ')})`,
        );
      if ((forge.owner === undefined) === (forge.repository === undefined))
        throw new ConfigError(at(index, ''), 'needs exactly one of owner and repository');
      // GitLab nests projects in groups and subgroups: `group/sub/project`, owner `group/sub`.
      const nested = forge.provider === 'gitlab';
      if (
        forge.repository !== undefined &&
        !(nested ? NESTED_PATH : OWNER_NAME).test(forge.repository)
      )
        throw new ConfigError(
          at(index, 'repository'),
          nested
            ? 'must be the project path, group/project or group/subgroup/project'
            : `must be ${REPOSITORY_FORMS[forge.provider] ?? 'owner/name'}`,
        );
      if (forge.owner !== undefined && !(nested ? GROUP_PATH : /^[^/\s]+$/).test(forge.owner))
        throw new ConfigError(
          at(index, 'owner'),
          nested
            ? 'must be a group path (group or group/subgroup)'
            : 'must be an owner name, without a slash',
        );
      const credentials = readForgeCredentials(forge, env, base, (key) => at(index, key));
      // On GitLab a group has hooks of its own: with owner:, hookId is the group's hook.
      if (forge.hookId !== undefined && forge.repository === undefined && !nested)
        throw new ConfigError(
          at(index, 'hookId'),
          'needs repository: (a hook id belongs to one repository)',
        );
      if (forge.hookUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(forge.hookUrl))
        throw new ConfigError(at(index, 'hookUrl'), 'must be an http(s) URL');
      const defaultApiUrl = DEFAULT_API_URLS[forge.provider] ?? null;
      if (forge.apiUrl === undefined && defaultApiUrl === null)
        throw new ConfigError(
          at(index, 'apiUrl'),
          `is required for ${forge.provider} (e.g. ${API_URL_EXAMPLES[forge.provider]})`,
        );
      const apiUrl = (forge.apiUrl ?? defaultApiUrl ?? '').replace(/\/+$/, '');
      if (!/^https?:\/\/[^/\s]+/.test(apiUrl))
        throw new ConfigError(at(index, 'apiUrl'), 'must be an http(s) URL');
      const id = `${forge.provider}:${forge.owner ?? forge.repository}`;
      if (seen.has(id))
        throw new ConfigError(
          at(index, ''),
          `a second entry for ${forge.owner ?? forge.repository}`,
        );
      seen.add(id);
      const template = forge.linkbackTemplate ?? DEFAULT_LINKBACK_TEMPLATE;
      const problem = linkbackTemplateProblem(template);
      if (problem !== undefined) throw new ConfigError(at(index, 'linkbackTemplate'), problem);
      return Object.freeze({
        id,
        provider: forge.provider,
        apiUrl,
        owner: forge.owner ?? null,
        repository: forge.repository ?? null,
        ...credentials,
        linkback: forge.linkback ?? true,
        linkbackTemplate: template,
        linkbackLinks: forge.linkbackLinks ?? 'console',
        requireStory: forge.requireStory ?? false,
        concurrency: forge.concurrency ?? 4,
        circuitBreaker: Object.freeze({
          failures: forge.circuitBreaker?.failures ?? 5,
          coolDownMs: Math.round(1000 * (forge.circuitBreaker?.coolDownSeconds ?? 60)),
        }),
        ...(forge.hookUrl === undefined ? {} : { hookUrl: forge.hookUrl }),
        ...(forge.hookId === undefined ? {} : { hookId: forge.hookId }),
      });
    }),
  );
}
