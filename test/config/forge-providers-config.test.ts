// `forges:` entries for Gitea/Forgejo, Bitbucket Cloud and Azure DevOps: each provider's API root
// (Bitbucket's by default; Gitea's and Azure DevOps' must be given) and how it names a repository,
// refused at load with the key named and the secret never shown.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';

const SECRET = 'forge_secret_value_0123';

function load(entry: string) {
  const dir = mkdtempSync(join(tmpdir(), 'storyflow-forges-'));
  writeFileSync(join(dir, 'storyflow.config.yaml'), `forges:\n  ${entry}\n`);
  return loadConfig({ env: { T: SECRET }, cwd: dir });
}

function errorOf(entry: string): ConfigError {
  try {
    load(entry);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

it('Gitea, Bitbucket Cloud and Azure DevOps entries load, each with its API root', () => {
  const [gitea] = load(
    '- { provider: gitea, owner: acme, apiUrl: "https://gitea.example.com/api/v1/", token: { env: T } }',
  ).forges;
  expect(gitea).toMatchObject({
    id: 'gitea:acme',
    provider: 'gitea',
    apiUrl: 'https://gitea.example.com/api/v1',
    token: SECRET,
  });
  const [bitbucket] = load(
    '- { provider: bitbucket, repository: acme/shop, token: { env: T } }',
  ).forges;
  expect(bitbucket).toMatchObject({
    id: 'bitbucket:acme/shop',
    apiUrl: 'https://api.bitbucket.org/2.0',
    repository: 'acme/shop',
  });
  const [azure] = load(
    '- { provider: azure-devops, repository: "Fabrikam%20Fiber/Web", apiUrl: "https://dev.azure.com/fabrikam", token: { env: T } }',
  ).forges;
  expect(azure).toMatchObject({
    id: 'azure-devops:Fabrikam%20Fiber/Web',
    apiUrl: 'https://dev.azure.com/fabrikam',
  });
});

it('an entry that cannot address its forge is refused at load, naming the key, never the secret', () => {
  const cases: [string, string, string][] = [
    [
      '- { provider: gitea, owner: acme, token: { env: T } }',
      'forges[0].apiUrl',
      'is required for gitea (e.g. https://gitea.example.com/api/v1)',
    ],
    [
      '- { provider: azure-devops, owner: Fabrikam, token: { env: T } }',
      'forges[0].apiUrl',
      'is required for azure-devops (e.g. https://dev.azure.com/{organization})',
    ],
    [
      '- { provider: bitbucket, repository: shop, token: { env: T } }',
      'forges[0].repository',
      'must be workspace/repo_slug',
    ],
    [
      '- { provider: azure-devops, repository: "Fabrikam Fiber/Web", apiUrl: "https://dev.azure.com/f", token: { env: T } }',
      'forges[0].repository',
      'must be project/repository (spaces written %20)',
    ],
    [
      '- { provider: gitea, repository: acme/shop, apiUrl: "ftp://gitea.example.com", token: { env: T } }',
      'forges[0].apiUrl',
      'http(s) URL',
    ],
  ];
  for (const [entry, key, message] of cases) {
    const error = errorOf(entry);
    expect(error.key, entry).toContain(key);
    expect(error.message, entry).toContain(message);
    expect(error.message).not.toContain(SECRET);
  }
});
