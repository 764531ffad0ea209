// The schema of storyflow.config.yaml: every key, its type and bounds. Unknown keys are refused
// (additionalProperties: false everywhere), so a typo never silently drops a setting.
import { type Static, Type } from '@sinclair/typebox';
import { PERSON_LIMITS } from '../domain/people/person.js';

/** A forge that signs its webhooks: global secrets, and secrets valid for one repository each. */
const SignedWebhookSection = Type.Object(
  {
    secrets: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    repositories: Type.Optional(
      Type.Array(
        Type.Object(
          {
            repository: Type.String({ minLength: 1 }),
            secrets: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
          },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const StatusList = Type.Array(Type.String({ minLength: 1 }));

/** The config file as read, before defaults and environment variables are merged in. */
export const ConfigFileSchema = Type.Object(
  {
    server: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String({ minLength: 1 })),
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
          trustProxy: Type.Optional(Type.Boolean()),
          shutdownGraceSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          publicUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
        },
        { additionalProperties: false },
      ),
    ),
    database: Type.Optional(
      Type.Object(
        {
          url: Type.Optional(Type.String({ minLength: 1 })),
          writeLockTimeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
    logLevel: Type.Optional(Type.Union(LOG_LEVELS.map((level) => Type.Literal(level)))),
    limits: Type.Optional(
      Type.Object(
        { storiesBodyBytes: Type.Optional(Type.Integer({ minimum: 1024 })) },
        { additionalProperties: false },
      ),
    ),
    metrics: Type.Optional(
      Type.Object({ public: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
    ),
    redis: Type.Optional(
      Type.Object(
        { url: Type.Optional(Type.String({ minLength: 1 })) },
        { additionalProperties: false },
      ),
    ),
    rateLimits: Type.Optional(
      Type.Object(
        {
          perToken: Type.Optional(Type.String()),
          perAddress: Type.Optional(Type.String()),
          authFailures: Type.Optional(Type.String()),
          webhookRefusals: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    oidc: Type.Optional(
      Type.Object(
        {
          issuers: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  issuer: Type.String({ minLength: 1 }),
                  audience: Type.Union([
                    Type.String({ minLength: 1 }),
                    Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
                  ]),
                  jwksUri: Type.Optional(Type.String({ minLength: 1 })),
                },
                { additionalProperties: false },
              ),
            ),
          ),
          policies: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  name: Type.Optional(Type.String({ minLength: 1 })),
                  issuer: Type.String({ minLength: 1 }),
                  claims: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])),
                  scopes: Type.Array(Type.String(), { minItems: 1 }),
                  repositories: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
                },
                { additionalProperties: false },
              ),
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    webhooks: Type.Optional(
      Type.Object(
        {
          maxBodyBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
          github: Type.Optional(SignedWebhookSection),
          gitea: Type.Optional(SignedWebhookSection),
          gitlab: Type.Optional(
            Type.Object(
              {
                tokens: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
                signingSecrets: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
                timestampToleranceSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
                repositories: Type.Optional(
                  Type.Array(
                    Type.Object(
                      {
                        repository: Type.String({ minLength: 1 }),
                        tokens: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
                        signingSecrets: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
                      },
                      { additionalProperties: false },
                    ),
                  ),
                ),
              },
              { additionalProperties: false },
            ),
          ),
          bitbucket: Type.Optional(SignedWebhookSection),
          azureDevops: Type.Optional(
            Type.Object(
              {
                secrets: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
                header: Type.Optional(
                  Type.Object(
                    {
                      // An HTTP header name (RFC 9110 token), not Authorization.
                      name: Type.String({
                        pattern:
                          "^(?![Aa][Uu][Tt][Hh][Oo][Rr][Ii][Zz][Aa][Tt][Ii][Oo][Nn]$)[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$",
                      }),
                      secrets: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
                    },
                    { additionalProperties: false },
                  ),
                ),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    inbox: Type.Optional(
      Type.Object(
        {
          max: Type.Optional(Type.Integer({ minimum: 1 })),
          leaseSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          retrySchedule: Type.Optional(Type.Array(Type.Number({ minimum: 0 }))),
          batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
          pollMs: Type.Optional(Type.Integer({ minimum: 1 })),
          workers: Type.Optional(Type.Boolean()),
          workerNiceness: Type.Optional(Type.Integer({ minimum: 0, maximum: 19 })),
        },
        { additionalProperties: false },
      ),
    ),
    idempotency: Type.Optional(
      Type.Object(
        {
          ttlHours: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          inFlightTimeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          cleanupIntervalSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
    batch: Type.Optional(
      Type.Object(
        { maxBodyBytes: Type.Optional(Type.Integer({ minimum: 1024 })) },
        { additionalProperties: false },
      ),
    ),
    automation: Type.Optional(
      Type.Object(
        {
          defaultRules: Type.Optional(Type.Boolean()),
          rules: Type.Optional(Type.Array(Type.Unknown())),
          defaultBranches: Type.Optional(
            Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
          ),
          newStoryPrefix: Type.Optional(Type.String({ pattern: '^[A-Z][A-Z0-9]{1,9}$' })),
          pullRequests: Type.Optional(Type.Union([Type.Literal('last'), Type.Literal('first')])),
          smartCommands: Type.Optional(
            Type.Object(
              {
                roles: Type.Optional(
                  Type.Array(Type.String({ minLength: 1, maxLength: PERSON_LIMITS.role })),
                ),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    people: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: PERSON_LIMITS.name }),
            identities: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
            roles: Type.Optional(
              Type.Array(Type.String({ minLength: 1, maxLength: PERSON_LIMITS.role })),
            ),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    references: Type.Optional(
      Type.Object(
        {
          prefixes: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z][A-Z0-9]{1,9}$' }))),
          closingWords: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
          trailers: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
          ignoredPrefixes: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
    forges: Type.Optional(
      Type.Array(
        Type.Object(
          {
            provider: Type.Union(
              (['github', 'gitlab', 'gitea', 'bitbucket', 'azure-devops'] as const).map((name) =>
                Type.Literal(name),
              ),
            ),
            apiUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
            owner: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
            repository: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
            token: Type.Optional(
              Type.Union([
                Type.Object(
                  { env: Type.String({ minLength: 1 }) },
                  { additionalProperties: false },
                ),
                Type.Object(
                  { file: Type.String({ minLength: 1 }) },
                  { additionalProperties: false },
                ),
              ]),
            ),
            app: Type.Optional(
              Type.Object(
                {
                  id: Type.Integer({ minimum: 1 }),
                  privateKeyFile: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
                  privateKeyEnv: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
                  installationId: Type.Optional(Type.Integer({ minimum: 1 })),
                },
                { additionalProperties: false },
              ),
            ),
            linkback: Type.Optional(Type.Boolean()),
            linkbackTemplate: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
            linkbackLinks: Type.Optional(
              Type.Union([Type.Literal('console'), Type.Literal('api')]),
            ),
            requireStory: Type.Optional(Type.Boolean()),
            concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
            circuitBreaker: Type.Optional(
              Type.Object(
                {
                  failures: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
                  coolDownSeconds: Type.Optional(
                    Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }),
                  ),
                },
                { additionalProperties: false },
              ),
            ),
            hookUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
            hookId: Type.Optional(Type.Integer({ minimum: 1 })),
          },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    ),
    repositories: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 256 }),
            provider: Type.Union(
              ['github', 'gitlab', 'gitea', 'bitbucket', 'azure-devops'].map((name) =>
                Type.Literal(name),
              ),
            ),
            url: Type.String({ minLength: 1, maxLength: 2048 }),
            branch: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
            stories: Type.String({ minLength: 1, maxLength: 1024 }),
            writeBack: Type.Optional(
              Type.Union(['pull-request', 'commit', 'off'].map((mode) => Type.Literal(mode))),
            ),
            onDelete: Type.Optional(
              Type.Union(['keep', 'cancel', 'delete'].map((mode) => Type.Literal(mode))),
            ),
            author: Type.Optional(
              Type.Object(
                {
                  name: Type.String({ minLength: 1, maxLength: 200 }),
                  email: Type.String({ minLength: 3, maxLength: 254 }),
                },
                { additionalProperties: false },
              ),
            ),
            credentials: Type.Optional(
              Type.Union([
                Type.Object(
                  { tokenEnv: Type.String({ minLength: 1 }) },
                  { additionalProperties: false },
                ),
                Type.Object(
                  { sshKeyFile: Type.String({ minLength: 1 }) },
                  { additionalProperties: false },
                ),
              ]),
            ),
          },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    ),
    git: Type.Optional(
      Type.Object(
        {
          mirrorDir: Type.Optional(Type.String({ minLength: 1 })),
          writeBackDelayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
        },
        { additionalProperties: false },
      ),
    ),
    reconcile: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          intervalMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440 })),
          lookbackHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 72 })),
        },
        { additionalProperties: false },
      ),
    ),
    gates: Type.Optional(
      Type.Record(
        Type.String({ minLength: 1, maxLength: 256 }),
        Type.Object(
          { require: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }) },
          { additionalProperties: false },
        ),
      ),
    ),
    stories: Type.Optional(
      Type.Object(
        {
          bookkeeping: Type.Optional(
            Type.Object(
              {
                lastUpdated: Type.Optional(Type.Boolean()),
                started: Type.Optional(Type.Boolean()),
                completed: Type.Optional(Type.Boolean()),
                accepted: Type.Optional(Type.Boolean()),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    workflow: Type.Optional(
      Type.Object(
        {
          statuses: Type.Optional(StatusList),
          initial: Type.Optional(Type.String({ minLength: 1 })),
          order: Type.Optional(StatusList),
          transitions: Type.Optional(Type.Record(Type.String(), StatusList)),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type ConfigFile = Static<typeof ConfigFileSchema>;
