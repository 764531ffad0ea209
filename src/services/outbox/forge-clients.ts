// The forges the outbox can talk to, one client each. A forge without a client here is refused by
// the config (src/config/build-forges.ts lists the same providers).
import type { ForgeProvider } from '../../config/config.js';
import { azureDevopsClient } from './azure-devops-client.js';
import { bitbucketClient } from './bitbucket-client.js';
import type { ForgeClient } from './forge-client.js';
import { giteaClient } from './gitea-client.js';
import { githubClient } from './github-client.js';
import { gitlabClient } from './gitlab-client.js';

export const forgeClients: Readonly<Partial<Record<ForgeProvider, ForgeClient>>> = {
  github: githubClient,
  gitea: giteaClient,
  bitbucket: bitbucketClient,
  'azure-devops': azureDevopsClient,
  gitlab: gitlabClient,
};
