// The typed configuration every part of storyflow receives; built once by loadConfig.
import type { OidcPolicy } from '../domain/auth/oidc-policy.js';
import type { RateLimitPolicy } from '../domain/rate-limit/parse-rate-limit.js';
import type { Workflow } from '../domain/story/workflow.js';

export interface Config {
  readonly host: string;
  readonly port: number;
  /** `sqlite:./data/storyflow.db`, `sqlite::memory:` or `postgres://…`. */
  readonly databaseUrl: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest request body the stories API accepts, in bytes. */
  readonly storiesBodyLimit: number;
  readonly workflow: Workflow;
  /** Trust X-Forwarded-For from a proxy in front (for client addresses in rate limits). */
  readonly trustProxy: boolean;
  /** STORYFLOW_ADMIN_TOKEN values (comma-separated for rotation). */
  readonly adminTokens: readonly string[];
  /** Whether GET /metrics needs no token. */
  readonly metricsPublic: boolean;
  readonly rateLimits: {
    /** Per token (or OIDC subject), unless the token has its own. */
    readonly perToken: RateLimitPolicy;
    /** Per client address, for every request under /api/v1. */
    readonly perAddress: RateLimitPolicy;
    /** Failed authentications per client address before it gets 429 instead of 401. */
    readonly authFailures: RateLimitPolicy;
  };
  /** Set when rate limits are shared by several instances through Redis. */
  readonly redisUrl: string | null;
  readonly oidc: {
    readonly issuers: readonly {
      readonly issuer: string;
      readonly audience: readonly string[];
      readonly jwksUri?: string;
    }[];
    readonly policies: readonly OidcPolicy[];
  };
  /** The config file that was read, if any. */
  readonly configFile: string | null;
}
