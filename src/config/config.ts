// The typed configuration every part of storyflow receives; built once by loadConfig.
import type { OidcPolicy } from '../domain/auth/oidc-policy.js';
import type { CircuitPolicy } from '../domain/outbox/forge-circuit.js';
import type { Person } from '../domain/people/person.js';
import type { RateLimitPolicy } from '../domain/rate-limit/parse-rate-limit.js';
import type { ReferenceConfig } from '../domain/references/reference-patterns.js';
import type { Rule } from '../domain/rules/rule.js';
import type { StoryBookkeeping } from '../domain/story/story-bookkeeping.js';
import type { Workflow } from '../domain/story/workflow.js';
import type { StoreLocation } from './store-location.js';

export interface Config {
  readonly host: string;
  readonly port: number;
  /**
   * Where the database is: STORYFLOW_DATABASE_URL (or database.url, `--database-url`), parsed
   * once by loadConfig; storage, the app and the threads take this, never the URL.
   */
  readonly database: StoreLocation;
  /**
   * `serve` on SQLite: how long a request waits for the write lock (or the one connection)
   * before it fails with 503 instead of hanging (database.writeLockTimeoutSeconds,
   * STORYFLOW_WRITE_LOCK_TIMEOUT_SECONDS; default 5 s). /readyz is 503 while a holder has kept
   * the lock longer than this.
   */
  readonly writeLockTimeoutMs: number;
  /**
   * SIGTERM/SIGINT: how long in-flight requests may finish before the process exits anyway
   * (server.shutdownGraceSeconds, STORYFLOW_SHUTDOWN_GRACE_SECONDS; default 10 s).
   */
  readonly shutdownGraceMs: number;
  /**
   * The address people reach this server at, without a trailing slash (server.publicUrl,
   * STORYFLOW_PUBLIC_URL), for links storyflow writes elsewhere (the linkback comment); null:
   * not known, and those links are left out.
   */
  readonly publicUrl: string | null;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest request body the stories API accepts, in bytes. */
  readonly storiesBodyLimit: number;
  readonly workflow: Workflow;
  /** What storyflow keeps current in a document when it changes a story's status (`stories.bookkeeping`). */
  readonly storyBookkeeping: StoryBookkeeping;
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
    /**
     * Refused (unverified) webhooks per client address before they are answered 429; its window
     * is also the window over which refusals are summarized in the audit log.
     */
    readonly webhookRefusals: RateLimitPolicy;
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
  readonly webhooks: {
    /** Largest webhook body accepted, in bytes (413 past it). */
    readonly maxBodyBytes: number;
    readonly github: {
      /** STORYFLOW_GITHUB_WEBHOOK_SECRET plus webhooks.github.secrets; any one is valid. */
      readonly secrets: readonly string[];
      readonly repositories: readonly {
        readonly repository: string;
        readonly secrets: readonly string[];
      }[];
    };
    readonly gitlab: {
      /** STORYFLOW_GITLAB_WEBHOOK_TOKEN plus webhooks.gitlab.tokens (X-Gitlab-Token). */
      readonly tokens: readonly string[];
      /** GitLab signing tokens (Standard Webhooks: whsec_…). */
      readonly signingSecrets: readonly string[];
      readonly repositories: readonly {
        readonly repository: string;
        readonly tokens: readonly string[];
        readonly signingSecrets: readonly string[];
      }[];
      /** Allowed age of a signed delivery's timestamp, in seconds. */
      readonly timestampToleranceSeconds: number;
    };
    readonly gitea: {
      /** STORYFLOW_GITEA_WEBHOOK_SECRET plus webhooks.gitea.secrets (Gitea and Forgejo). */
      readonly secrets: readonly string[];
      readonly repositories: readonly {
        readonly repository: string;
        readonly secrets: readonly string[];
      }[];
    };
    readonly bitbucket: {
      /**
       * STORYFLOW_BITBUCKET_WEBHOOK_SECRET plus webhooks.bitbucket.secrets (X-Hub-Signature,
       * Bitbucket Cloud and Data Center); any one is valid.
       */
      readonly secrets: readonly string[];
      readonly repositories: readonly {
        readonly repository: string;
        readonly secrets: readonly string[];
      }[];
    };
    /** Always set by loadConfig; optional so a hand-built config may leave it out (not configured). */
    readonly azureDevops?: {
      /**
       * Basic-auth passwords of the service hooks (any user name): STORYFLOW_AZURE_DEVOPS_WEBHOOK_SECRET
       * (comma-separated for a rotation) plus webhooks.azureDevops.secrets; any one is valid.
       */
      readonly secrets: readonly string[];
      /**
       * A header carrying a shared secret instead (the service hook's "HTTP headers" field):
       * its lower-case name and the accepted values; null when not configured.
       */
      readonly header: { readonly name: string; readonly secrets: readonly string[] } | null;
    };
  };
  readonly inbox: {
    /** Backlog (pending + failed + processing) above which webhooks get 503 (STORYFLOW_INBOX_MAX). */
    readonly max: number;
    /** How long a worker's claim lasts before another worker may take the delivery over. */
    readonly leaseMs: number;
    /** Delays in seconds before each retry; attempts = retries + 1, then the delivery is dead. */
    readonly retrySchedule: readonly number[];
    /** Deliveries a worker claims at once. */
    readonly batchSize: number;
    /** How often an idle worker looks for due deliveries. */
    readonly pollMs: number;
    /** Whether this instance runs inbox workers (STORYFLOW_WORKERS=0 turns them off). */
    readonly workers: boolean;
    /**
     * `serve` runs the inbox worker in a thread at this nice value (0–19, Linux), so that under
     * a burst the CPU goes to acknowledging webhooks first (STORYFLOW_WORKER_NICENESS).
     */
    readonly workerNiceness: number;
  };
  readonly idempotency: {
    /** How long the answer to an Idempotency-Key is kept and replayed (default 24). */
    readonly ttlHours: number;
    /**
     * The lease of an in-flight key: its request renews it while it runs, so a key not renewed
     * for this long (its process died) is taken over by a retry.
     */
    readonly inFlightTimeoutSeconds: number;
    /** How often this instance deletes expired keys. */
    readonly cleanupIntervalSeconds: number;
  };
  readonly batch: {
    /** Largest POST /api/v1/batch body, in bytes (413 past it). */
    readonly maxBodyBytes: number;
  };
  readonly automation: {
    /** Whether the default rules of DESIGN §5 apply (before the configured ones). */
    readonly defaultRules: boolean;
    /** Rules from the config file (PUT /rules adds its own after them). */
    readonly rules: readonly Rule[];
    /** Branches taken as a repository's default branch when an event does not say. */
    readonly defaultBranches: readonly string[];
    /** Prefix of stories created by `New-Story:` trailers. */
    readonly newStoryPrefix: string;
    readonly references: ReferenceConfig;
    /**
     * A story linked to several PRs moves to done on the `last` merge of its open PRs (default)
     * or the `first`: the `pullRequests` condition of the default rules.
     */
    readonly pullRequests: 'last' | 'first';
    readonly smartCommands: {
      /** With `people:`, the roles whose holders may use smart commands; null: every person. */
      readonly roles: readonly string[] | null;
    };
  };
  /**
   * The `people:` section: forge identities mapped to one person each. Empty: smart commands
   * work for anyone, and history names forge accounts only.
   */
  readonly people: readonly Person[];
  /** Forges storyflow talks back to (`forges:`): where, and with which credential. */
  readonly forges: readonly ForgeConfig[];
  /** The scheduled reconciliation of missed GitHub and GitLab webhook deliveries (`reconcile:`). */
  readonly reconcile: ReconcileConfig;
  /**
   * Deployment gates (`gates:`): per environment, the statuses every story shipped to it must be
   * in (GET /api/v1/gates/deployment). An environment not listed has no gate.
   */
  readonly gates: readonly DeploymentGate[];
  /** Repositories whose story files storyflow imports (`repositories:`, docs/git-sync.md). */
  readonly repositories: readonly RepositoryConfig[];
  /** How storyflow runs the system `git` for `repositories:`. */
  readonly git: {
    /**
     * Where the bare mirrors live (git.mirrorDir, STORYFLOW_GIT_MIRROR_DIR); default `mirrors/`
     * beside a SQLite database file, else `./data/mirrors`.
     */
    readonly mirrorDir: string;
    /**
     * The only variables `git` is run with (besides its credentials): PATH, HOME, locale, proxy
     * and CA settings, taken from the environment once here.
     */
    readonly env: Readonly<Record<string, string>>;
    /**
     * How long a write-back waits for more changes before its commit (git.writeBackDelayMs,
     * STORYFLOW_GIT_WRITEBACK_DELAY_MS; default 5 s): changes close together go out as one.
     */
    readonly writeBackDelayMs?: number;
  };
  /** The config file that was read, if any. */
  readonly configFile: string | null;
}

/** One environment's gate: a story shipped to `environment` must be in one of `require`. */
export interface DeploymentGate {
  readonly environment: string;
  readonly require: readonly string[];
}

/** The forges `forges:` and `repositories:` may name (DESIGN §9). */
export type ForgeProvider = 'github' | 'gitlab' | 'gitea' | 'bitbucket' | 'azure-devops';

/** One entry of `forges:`, its token read (from the variable or file) when the config loaded. */
export interface ForgeConfig {
  /** `<provider>:<owner or repository>`: the `forge` of its outbox rows. */
  readonly id: string;
  readonly provider: ForgeProvider;
  /** The REST API root, without a trailing slash (https://api.github.com by default). */
  readonly apiUrl: string;
  /** Exactly one of owner and repository: the repositories this entry covers. */
  readonly owner: string | null;
  readonly repository: string | null;
  /** The token itself (null for an `app:` entry): never logged, audited or answered. */
  readonly token: string | null;
  /** A GitHub App's credentials (`app:`), instead of a token: installation tokens are minted. */
  readonly app?: GithubAppCredentials;
  readonly linkback: boolean;
  /** The linkback comment's text, with `{{placeholders}}` (domain/outbox/linkback-comment.ts). */
  readonly linkbackTemplate: string;
  /** Where each story in the comment links to (under `publicUrl`): its console page or the API. */
  readonly linkbackLinks: 'console' | 'api';
  readonly requireStory: boolean;
  /** Calls to this forge in flight at once from one sender. */
  readonly concurrency: number;
  readonly circuitBreaker: CircuitPolicy;
  /**
   * The repository webhooks that post to storyflow, for the reconciliation: the hook whose URL is
   * exactly this (left out: any hook whose URL path ends in /webhooks/github, or /webhooks/gitlab).
   */
  readonly hookUrl?: string;
  /**
   * The hook's id: that hook and no other. With `repository:` (GitHub, GitLab), the repository's
   * or project's; with `owner:` (GitLab only), the group's.
   */
  readonly hookId?: number;
}

/** `forges[].app`: a GitHub App, its private key read when the config loaded. */
export interface GithubAppCredentials {
  readonly id: number;
  /** The private key as PKCS#8 PEM: never logged, audited or answered. */
  readonly privateKey: string;
  /** Left out of the config: looked up for each owner with the app's JWT. */
  readonly installationId: number | null;
}

/** `reconcile:`: when storyflow asks GitHub and GitLab for the deliveries it missed (DESIGN §9). */
export interface ReconcileConfig {
  /** Default: true when `forges:` lists a GitHub or GitLab forge. */
  readonly enabled: boolean;
  /** Every this many minutes (default 10), on one instance at a time. */
  readonly intervalMinutes: number;
  /** How far back a scheduled run looks, in hours (default 24, at most 72: GitHub keeps 3 days). */
  readonly lookbackHours: number;
}

/** One entry of `repositories:`, its credential read (from the variable) when the config loaded. */
export interface RepositoryConfig {
  /** `owner/name` as events name the repository (a push to it triggers a sync). */
  readonly name: string;
  readonly provider: 'github' | 'gitlab' | 'gitea' | 'bitbucket' | 'azure-devops';
  /** Any git URL (`https://`, `ssh://`, `git@host:path`, `file://`); never holds a secret. */
  readonly url: string;
  /** The tracked branch; null: the remote's default branch (its HEAD). */
  readonly branch: string | null;
  /** Glob of story files, relative to the repository root (`**`, `*`, `?`). */
  readonly stories: string;
  /**
   * How changes made in storyflow reach the files: commits on `storyflow/updates` and one pull
   * request, commits pushed to the tracked branch, or not at all.
   */
  readonly writeBack: 'pull-request' | 'commit' | 'off';
  /** Author and committer of write-back commits (default `storyflow <storyflow@localhost>`). */
  readonly author?: { readonly name: string; readonly email: string };
  /** What a story whose file was deleted becomes. */
  readonly onDelete: 'keep' | 'cancel' | 'delete';
  readonly credentials: RepositoryCredentials;
}

export type RepositoryCredentials =
  | { readonly kind: 'none' }
  /** HTTPS with a token, handed to git through GIT_ASKPASS; the secret itself. */
  | { readonly kind: 'token'; readonly token: string }
  /** SSH with this private key (an absolute path). */
  | { readonly kind: 'ssh'; readonly keyFile: string };
