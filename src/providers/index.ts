// The table of forges storyflow takes webhooks from. Adding one is a folder under src/providers/
// exporting a WebhookProvider, and a line here: POST /webhooks/<name>, its inbox and its
// normalization follow from the table (docs/architecture.md, "Adding a provider").

import { azureDevopsProvider } from './azure-devops/azure-devops-provider.js';
import { bitbucketProvider } from './bitbucket/bitbucket-provider.js';
import { giteaProvider } from './gitea/gitea-provider.js';
import { githubProvider } from './github/github-provider.js';
import { gitlabProvider } from './gitlab/gitlab-provider.js';
import type { WebhookProvider } from './webhook-provider.js';

export type ProviderTable = readonly WebhookProvider[];

export const webhookProviders: ProviderTable = [
  githubProvider,
  gitlabProvider,
  giteaProvider,
  bitbucketProvider,
  azureDevopsProvider,
];

/** The provider of that name in the table, or undefined. */
export function findProvider(table: ProviderTable, name: string): WebhookProvider | undefined {
  return table.find((provider) => provider.name === name);
}
