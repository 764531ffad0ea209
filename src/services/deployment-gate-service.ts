// The deployment gate (GET /api/v1/gates/deployment, `storyflow ci gate`): which stories a
// deployment of a repository's commit to an environment would ship, and whether each is in a
// status the environment's gate (config `gates:`) requires. storyflow holds no git history, so
// "the commits between the last successful deployment and sha" is approximated from the links
// it recorded (docs/forge-feedback.md, "What counts as shipped").

import type { Config } from '../config/config.js';
import { type Principal, principalCoversRepository } from '../domain/auth/principal.js';
import { decideDeployment, type GateVerdict } from '../domain/gates/decide-deployment.js';
import { ProblemError } from '../errors/problem-error.js';
import type { Store } from '../storage/store.js';

/** The most stories one answer checks; past it the gate denies (it cannot vouch for the rest). */
export const GATE_STORY_LIMIT = 1000;

export interface GateQuery {
  repository: string;
  environment: string;
  /** The commit about to be deployed; without it only the work since the last deployment counts. */
  sha?: string;
}

export interface GateAnswer extends GateVerdict {
  /** When the last successful deployment to the environment was recorded, if storyflow knows one. */
  since: string | null;
}

export class DeploymentGateService {
  constructor(
    private readonly store: Store,
    private readonly config: Pick<Config, 'gates' | 'automation'>,
  ) {}

  async check(principal: Principal | undefined, query: GateQuery): Promise<GateAnswer> {
    const { repository, environment, sha } = query;
    if (principal !== undefined && !principalCoversRepository(principal, repository)) {
      throw new ProblemError(
        'forbidden',
        `This credential may not read ${repository}: it is limited to ` +
          `${(principal.repositories ?? []).join(', ')}`,
        { repository },
      );
    }
    const links = this.store.links;
    const since = (await links.lastSuccessfulDeployment(repository, environment)) ?? null;
    const shipped = await links.findShippedSince(
      repository,
      since,
      this.config.automation.defaultBranches,
      GATE_STORY_LIMIT + 1,
    );
    const atSha = sha === undefined ? [] : await links.findStoriesBySha(repository, sha);
    const ids = [...new Set([...atSha, ...shipped])].sort();
    const truncated = ids.length > GATE_STORY_LIMIT;
    const records = await this.store.stories.getStories(ids.slice(0, GATE_STORY_LIMIT));
    const gate = this.config.gates.find((candidate) => candidate.environment === environment);
    return {
      ...decideDeployment({
        environment,
        required: gate?.require,
        stories: records.map((record) => ({ id: record.id, status: record.status })),
        truncated,
      }),
      since,
    };
  }
}
