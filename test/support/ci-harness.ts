// A live storyflow for the CI example tests: the automation harness (fixture stories imported)
// with OIDC configured from an example storyflow.config.yaml, whose issuers' keys are served on
// loopback by a CiIdentity instead of GitHub or GitLab.
import { expect } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { openStore } from '../../src/storage/open-store.js';
import { type AutomationHarness, startAutomationHarness } from './automation-e2e.js';
import { type CiIdentity, startCiIdentity } from './ci-identity.js';

export interface CiHarness extends AutomationHarness {
  identity: CiIdentity;
  /** Creates an API token (as admin) and answers its secret. */
  createToken(name: string, scopes: string[], repositories?: string[]): Promise<string>;
  /** The story's links of one type. */
  linksOf(story: string, type: string): Promise<any[]>;
}

/** The `oidc` section of a config file, as loadConfig reads it (so the example is validated). */
export function oidcFromConfigFile(path: string): Config['oidc'] {
  return loadConfig({ env: { STORYFLOW_CONFIG: path }, cwd: '/nonexistent' }).oidc;
}

export async function startCiHarness(
  options: { oidcConfigFile?: string; config?: Partial<Config> } = {},
): Promise<CiHarness> {
  const identity = await startCiIdentity();
  let oidc: Config['oidc'] | undefined;
  if (options.oidcConfigFile !== undefined) {
    const fromFile = oidcFromConfigFile(options.oidcConfigFile);
    // The issuers are the real ones; only where their keys are fetched from is replaced.
    oidc = {
      issuers: fromFile.issuers.map((issuer) => ({ ...issuer, jwksUri: identity.jwksUri })),
      policies: fromFile.policies,
    };
  }
  const harness = await startAutomationHarness(await openStore('sqlite::memory:'), {
    config: { ...options.config, ...(oidc === undefined ? {} : { oidc }) },
  });
  return {
    ...harness,
    identity,
    async createToken(name, scopes, repositories) {
      const answer = await harness.api('POST', '/tokens', {
        json: { name, scopes, ...(repositories === undefined ? {} : { repositories }) },
      });
      expect(answer.status, answer.text).toBe(201);
      return answer.body.token as string;
    },
    async linksOf(story, type) {
      return (await harness.links(story)).filter((link) => link.type === type);
    },
    async close() {
      await harness.close();
      await identity.close();
    },
  };
}
