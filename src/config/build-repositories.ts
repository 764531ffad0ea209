// `repositories:` (stories as code, docs/git-sync.md) and `git:` (where the mirrors live, and
// the environment git runs with). Errors name the key (`repositories[0].credentials.tokenEnv`).
import { accessSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { repositoryNameKey } from '../domain/repositories/repository-name.js';
import type { Config, RepositoryConfig, RepositoryCredentials } from './config.js';
import { ConfigError } from './config-error.js';
import type { ConfigFile } from './config-file-schema.js';
import { envInteger } from './env-integer.js';
import { SQLITE_MEMORY, type StoreLocation } from './store-location.js';

/**
 * `repositories:`: each a repository whose story files storyflow imports (docs/git-sync.md).
 * Refused, naming the key: a name that is not `owner/name`, a URL that holds a password (the
 * token belongs in `credentials.tokenEnv`), an unset token variable, an unreadable SSH key, a
 * glob or branch git would misread, the same name twice.
 */
export function buildRepositories(
  section: ConfigFile['repositories'],
  env: Record<string, string | undefined>,
  base: string,
  file: string | null,
): Config['repositories'] {
  const at = (index: number, key: string) =>
    `${file === null ? '' : `${file}: `}repositories[${index}]${key === '' ? '' : `.${key}`}`;
  const seen = new Set<string>();
  return Object.freeze(
    (section ?? []).map((entry, index): RepositoryConfig => {
      if (!/^[^/\s]+(\/[^/\s]+)+$/.test(entry.name))
        throw new ConfigError(at(index, 'name'), 'must be owner/name, as events name it');
      // Forges compare names case-insensitively: acme/Shop and acme/shop are one repository.
      if (seen.has(repositoryNameKey(entry.name)))
        throw new ConfigError(at(index, 'name'), `a second entry for ${entry.name}`);
      seen.add(repositoryNameKey(entry.name));
      if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(entry.url))
        throw new ConfigError(
          at(index, 'url'),
          'must not hold a password or token: use credentials: { tokenEnv: NAME }',
        );
      if (entry.url.startsWith('-') || /\s/.test(entry.url))
        throw new ConfigError(at(index, 'url'), 'is not a git URL');
      if (
        entry.branch !== undefined &&
        (entry.branch.startsWith('-') || !/^[^\s~^:?*[\\]+$/.test(entry.branch))
      )
        throw new ConfigError(at(index, 'branch'), 'is not a branch name git accepts');
      if (entry.stories.startsWith('/') || entry.stories.split('/').includes('..'))
        throw new ConfigError(
          at(index, 'stories'),
          'must be a glob relative to the repository root, e.g. docs/stories/**/*.md',
        );
      return Object.freeze({
        name: entry.name,
        provider: entry.provider as RepositoryConfig['provider'],
        url: entry.url,
        branch: entry.branch ?? null,
        stories: entry.stories,
        writeBack: (entry.writeBack ?? 'pull-request') as RepositoryConfig['writeBack'],
        onDelete: (entry.onDelete ?? 'keep') as RepositoryConfig['onDelete'],
        author: Object.freeze(commitAuthor(entry.author, (key) => at(index, key))),
        credentials: repositoryCredentials(entry.credentials, env, base, (key) => at(index, key)),
      });
    }),
  );
}

/** The write-back commits' author: a name and an address git accepts (no <, >, or newline). */
function commitAuthor(
  author: NonNullable<ConfigFile['repositories']>[number]['author'],
  at: (key: string) => string,
): RepositoryConfig['author'] {
  if (author === undefined) return { name: 'storyflow', email: 'storyflow@localhost' };
  if (/[<>\n\r\0]/.test(author.name) || author.name.trim() === '')
    throw new ConfigError(at('author.name'), 'must be a name without <, > or line breaks');
  if (!/^[^<>\s@]+@[^<>\s@]+$/.test(author.email))
    throw new ConfigError(at('author.email'), 'must be an address such as storyflow@acme.example');
  return { name: author.name.trim(), email: author.email };
}

function repositoryCredentials(
  credentials: NonNullable<ConfigFile['repositories']>[number]['credentials'],
  env: Record<string, string | undefined>,
  base: string,
  at: (key: string) => string,
): RepositoryCredentials {
  if (credentials === undefined) return { kind: 'none' };
  if ('tokenEnv' in credentials) {
    const token = (env[credentials.tokenEnv] ?? '').trim();
    if (token === '')
      throw new ConfigError(at('credentials.tokenEnv'), `${credentials.tokenEnv} is not set`);
    return Object.freeze({ kind: 'token', token });
  }
  const keyFile = resolve(base, credentials.sshKeyFile);
  try {
    accessSync(keyFile, constants.R_OK);
  } catch (error) {
    throw new ConfigError(
      at('credentials.sshKeyFile'),
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return Object.freeze({ kind: 'ssh', keyFile });
}

/** Variables git keeps from storyflow's environment; everything else (GIT_DIR…) is left out. */
const GIT_ENV_KEPT = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'TMPDIR',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'GIT_SSL_CAINFO',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'SSH_AUTH_SOCK',
];

export function buildGit(
  env: Record<string, string | undefined>,
  section: ConfigFile['git'],
  database: StoreLocation,
  cwd: string,
): Config['git'] {
  const configured = env.STORYFLOW_GIT_MIRROR_DIR ?? section?.mirrorDir;
  const mirrorDir =
    configured !== undefined
      ? resolve(cwd, configured)
      : database.dialect === 'sqlite' && database.filename !== SQLITE_MEMORY
        ? resolve(cwd, dirname(database.filename), 'mirrors')
        : resolve(cwd, 'data', 'mirrors');
  const kept: Record<string, string> = {};
  for (const name of GIT_ENV_KEPT) {
    const value = env[name];
    if (value !== undefined) kept[name] = value;
  }
  const writeBackDelayMs =
    envInteger(env, 'STORYFLOW_GIT_WRITEBACK_DELAY_MS', { min: 0, max: 3_600_000 }) ??
    section?.writeBackDelayMs ??
    5000;
  return Object.freeze({ mirrorDir, env: Object.freeze(kept), writeBackDelayMs });
}
