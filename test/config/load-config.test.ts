import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';
import { DEFAULT_LINKBACK_TEMPLATE } from '../../src/domain/outbox/linkback-comment.js';
import { DEFAULT_WORKFLOW } from '../../src/domain/story/workflow.js';

function directoryWithConfig(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'storyflow-config-'));
  writeFileSync(join(dir, 'storyflow.config.yaml'), yaml);
  return dir;
}

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('a bad rule names the config file, like every other error in the file', () => {
    const dir = directoryWithConfig(
      'automation:\n  rules:\n    - name: x\n      on: pr.opened\n      then:\n        - transition: ship it\n',
    );
    const error = configErrorOf(() => loadConfig({ env: {}, cwd: dir }));
    expect(error.key).toBe(
      `${join(dir, 'storyflow.config.yaml')}: automation.rules[0].then[0].transition`,
    );
    expect(error.message).toContain(join(dir, 'storyflow.config.yaml'));
    expect(error.message).toContain('"ship it" is not a status of the workflow');
  });

  it('defaults to port 8080, an embedded SQLite file and the default workflow', () => {
    const config = loadConfig({ env: {}, cwd: mkdtempSync(join(tmpdir(), 'storyflow-empty-')) });
    expect(config).toMatchObject({
      port: 8080,
      database: { dialect: 'sqlite', filename: './data/storyflow.db' },
      storiesBodyLimit: 1024 * 1024,
      configFile: null,
    });
    expect(config.workflow).toBe(DEFAULT_WORKFLOW);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads storyflow.config.yaml from the working directory and lets STORYFLOW_* override it', () => {
    const dir = directoryWithConfig('server:\n  port: 9000\ndatabase:\n  url: "sqlite::memory:"\n');
    expect(loadConfig({ env: {}, cwd: dir })).toMatchObject({
      port: 9000,
      database: { dialect: 'sqlite', filename: ':memory:' },
    });
    const overridden = loadConfig({
      env: { STORYFLOW_PORT: '9100', STORYFLOW_DATABASE_URL: 'postgres://db/x' },
      cwd: dir,
    });
    expect(overridden).toMatchObject({
      port: 9100,
      database: { dialect: 'postgres', connectionString: 'postgres://db/x' },
    });
  });

  it('reads the file named by STORYFLOW_CONFIG and names the variable when it is missing', () => {
    const dir = directoryWithConfig('logLevel: debug\n');
    const config = loadConfig({
      env: { STORYFLOW_CONFIG: join(dir, 'storyflow.config.yaml') },
      cwd: '/',
    });
    expect(config.logLevel).toBe('debug');
    expect(configErrorOf(() => loadConfig({ env: { STORYFLOW_CONFIG: '/nope.yaml' } })).key).toBe(
      'STORYFLOW_CONFIG',
    );
  });

  it.each([
    ['an unknown top-level key', 'sever:\n  port: 1\n', 'sever'],
    ['a wrong type', 'server:\n  port: eighty\n', 'server.port'],
    ['an unknown nested key', 'server:\n  prot: 1\n', 'server.prot'],
    [
      'a transition to an unknown status',
      'workflow:\n  transitions:\n    draft: [wip]\n',
      'workflow.transitions.draft[0]',
    ],
    [
      'an initial status that is not a status',
      'workflow:\n  statuses: [a, b]\n  initial: c\n',
      'workflow.initial',
    ],
  ])('a config file with %s is refused naming the key', (_case, yaml, key) => {
    const error = configErrorOf(() => loadConfig({ env: {}, cwd: directoryWithConfig(yaml) }));
    expect(error.key).toContain(key);
    expect(error.message).toContain(key);
  });

  it.each([
    ['STORYFLOW_PORT', 'abc'],
    ['STORYFLOW_LOG_LEVEL', 'loud'],
    ['STORYFLOW_DATABASE_URL', 'mysql://x'],
  ])('a bad %s is refused naming the variable', (name, value) => {
    const error = configErrorOf(() => loadConfig({ env: { [name]: value }, cwd: '/' }));
    expect(error.key).toBe(name);
  });

  const BAD_DATABASE_URLS = [
    ['sqlite://x', /not a database URL storyflow accepts/],
    ['mysql://x', /not a database URL storyflow accepts/],
    ['postgres://h:99999/db', /port "99999" is not a number from 0 to 65535/],
    ['postgresql://u@h:port/db', /port "port" is not a number from 0 to 65535/],
    ['', /not a database URL storyflow accepts/],
    ['garbage', /not a database URL storyflow accepts/],
    ['sqlite:', /not a database URL storyflow accepts/],
  ] as const;

  it.each(BAD_DATABASE_URLS)(
    'STORYFLOW_DATABASE_URL=%j is a config error naming the variable and the accepted forms',
    (url, why) => {
      const error = configErrorOf(() =>
        loadConfig({ env: { STORYFLOW_DATABASE_URL: url }, cwd: '/' }),
      );
      expect(error.key).toBe('STORYFLOW_DATABASE_URL');
      expect(error.message).toMatch(/^invalid configuration: STORYFLOW_DATABASE_URL: /);
      expect(error.message).toMatch(why);
      expect(error.message).toContain('sqlite::memory:');
    },
  );

  it.each(BAD_DATABASE_URLS.filter(([url]) => url !== ''))(
    'database.url: %j in the config file is a config error naming the file key',
    (url, why) => {
      const dir = directoryWithConfig(`database:\n  url: ${JSON.stringify(url)}\n`);
      const error = configErrorOf(() => loadConfig({ env: {}, cwd: dir }));
      expect(error.key).toBe('database.url');
      expect(error.message).toMatch(why);
    },
  );

  it('a bad database URL error hides the password', () => {
    const error = configErrorOf(() =>
      loadConfig({ env: { STORYFLOW_DATABASE_URL: 'postgres://u:hunter2@h:99999/db' }, cwd: '/' }),
    );
    expect(error.message).toContain('postgres://u:***@h:99999/db');
    expect(error.message).not.toContain('hunter2');
  });

  it.each([
    ['sqlite:./data/storyflow.db', { dialect: 'sqlite', filename: './data/storyflow.db' }],
    ['sqlite:/var/lib/storyflow.db', { dialect: 'sqlite', filename: '/var/lib/storyflow.db' }],
    ['  sqlite::memory:  ', { dialect: 'sqlite', filename: ':memory:' }],
    [
      'postgres://u:p@h:5432/db?options=-c%20search_path%3Ds',
      {
        dialect: 'postgres',
        connectionString: 'postgres://u:p@h:5432/db?options=-c%20search_path%3Ds',
      },
    ],
    [
      'postgresql://[::1]:65535/db',
      { dialect: 'postgres', connectionString: 'postgresql://[::1]:65535/db' },
    ],
    // A Unix socket: pg reads `@/` with an empty host, so it is accepted here too.
    [
      'postgres://u@/db?host=/var/run/postgresql',
      { dialect: 'postgres', connectionString: 'postgres://u@/db?host=/var/run/postgresql' },
    ],
  ])('STORYFLOW_DATABASE_URL=%j is parsed once into its location', (url, location) => {
    const config = loadConfig({ env: { STORYFLOW_DATABASE_URL: url }, cwd: '/' });
    expect(config.database).toEqual(location);
    expect(Object.isFrozen(config.database)).toBe(true);
  });

  it('runs the inbox worker thread at nice 10 unless inbox.workerNiceness or the variable says', () => {
    const empty = mkdtempSync(join(tmpdir(), 'storyflow-empty-'));
    expect(loadConfig({ env: {}, cwd: empty }).inbox.workerNiceness).toBe(10);
    const dir = directoryWithConfig('inbox:\n  workerNiceness: 3\n');
    expect(loadConfig({ env: {}, cwd: dir }).inbox.workerNiceness).toBe(3);
    const env = { STORYFLOW_WORKER_NICENESS: '0' };
    expect(loadConfig({ env, cwd: dir }).inbox.workerNiceness).toBe(0);
    for (const bad of ['20', '-1', 'low']) {
      const error = configErrorOf(() =>
        loadConfig({ env: { STORYFLOW_WORKER_NICENESS: bad }, cwd: empty }),
      );
      expect(error.key).toBe('STORYFLOW_WORKER_NICENESS');
    }
  });

  it('bounds the write-lock wait at 5 s and the shutdown grace at 10 s unless the file or the variables say', () => {
    const empty = mkdtempSync(join(tmpdir(), 'storyflow-empty-'));
    expect(loadConfig({ env: {}, cwd: empty })).toMatchObject({
      writeLockTimeoutMs: 5000,
      shutdownGraceMs: 10_000,
    });
    const dir = directoryWithConfig(
      'server:\n  shutdownGraceSeconds: 30\ndatabase:\n  writeLockTimeoutSeconds: 2.5\n',
    );
    expect(loadConfig({ env: {}, cwd: dir })).toMatchObject({
      writeLockTimeoutMs: 2500,
      shutdownGraceMs: 30_000,
    });
    const env = {
      STORYFLOW_WRITE_LOCK_TIMEOUT_SECONDS: '0.5',
      STORYFLOW_SHUTDOWN_GRACE_SECONDS: '3',
    };
    expect(loadConfig({ env, cwd: dir })).toMatchObject({
      writeLockTimeoutMs: 500,
      shutdownGraceMs: 3000,
    });
    for (const variable of [
      'STORYFLOW_WRITE_LOCK_TIMEOUT_SECONDS',
      'STORYFLOW_SHUTDOWN_GRACE_SECONDS',
    ]) {
      for (const bad of ['0', '-1', 'soon', '']) {
        const error = configErrorOf(() => loadConfig({ env: { [variable]: bad }, cwd: empty }));
        expect(error.key).toBe(variable);
      }
    }
    const zero = configErrorOf(() =>
      loadConfig({
        env: {},
        cwd: directoryWithConfig('database:\n  writeLockTimeoutSeconds: 0\n'),
      }),
    );
    expect(zero.message).toContain('database.writeLockTimeoutSeconds');
  });

  it('a custom workflow without transitions allows any move between its statuses', () => {
    const dir = directoryWithConfig('workflow:\n  statuses: [todo, doing, done]\n');
    const { workflow } = loadConfig({ env: {}, cwd: dir });
    expect(workflow.initial).toBe('todo');
    expect(workflow.transitions.todo).toEqual(['doing', 'done']);
  });

  it('reads gates: per environment, the statuses a deployment requires; none by default', () => {
    expect(loadConfig({ env: {}, cwd: mkdtempSync(join(tmpdir(), 'sf-')) }).gates).toEqual([]);
    const dir = directoryWithConfig(
      'gates:\n  production: { require: [accepted] }\n  staging:\n    require: [done, accepted]\n',
    );
    expect(loadConfig({ env: {}, cwd: dir }).gates).toEqual([
      { environment: 'production', require: ['accepted'] },
      { environment: 'staging', require: ['done', 'accepted'] },
    ]);
  });

  it('a gate requiring a status the workflow does not have names its key and the statuses', () => {
    const dir = directoryWithConfig('gates:\n  production: { require: [accepted, shipped] }\n');
    const error = configErrorOf(() => loadConfig({ env: {}, cwd: dir }));
    expect(error.key).toBe(`${join(dir, 'storyflow.config.yaml')}: gates.production.require[1]`);
    expect(error.message).toContain('"shipped" is not a status of the workflow');
  });

  it('a gate without require, or with an unknown key, is refused naming the key', () => {
    for (const [yaml, key] of [
      ['gates:\n  production: {}\n', 'gates.production'],
      ['gates:\n  production: { require: [] }\n', 'gates.production.require'],
      ['gates:\n  production: { require: [done], allow: [x] }\n', 'gates.production'],
    ] as const) {
      const dir = directoryWithConfig(yaml);
      const error = configErrorOf(() => loadConfig({ env: {}, cwd: dir }));
      expect(error.key, yaml).toContain(key);
    }
  });

  it('reads forges: a GitHub token from a variable or a file beside the config', () => {
    const dir = directoryWithConfig(
      'forges:\n' +
        '  - provider: github\n    owner: acme\n    token: { env: ACME_GITHUB_TOKEN }\n' +
        '  - provider: github\n    repository: other/shop\n    apiUrl: https://ghe.example.com/api/v3/\n' +
        '    token: { file: github-token }\n    linkback: false\n    requireStory: true\n' +
        '    linkbackTemplate: "Stories: {{ids}} ({{count}})"\n    linkbackLinks: api\n' +
        '    concurrency: 2\n    circuitBreaker: { failures: 3, coolDownSeconds: 0.5 }\n',
    );
    writeFileSync(join(dir, 'github-token'), 'ghp_from_file\n');
    const { forges } = loadConfig({ env: { ACME_GITHUB_TOKEN: 'ghp_from_env' }, cwd: dir });
    expect(forges).toEqual([
      {
        id: 'github:acme',
        provider: 'github',
        apiUrl: 'https://api.github.com',
        owner: 'acme',
        repository: null,
        token: 'ghp_from_env',
        linkback: true,
        linkbackTemplate: DEFAULT_LINKBACK_TEMPLATE,
        linkbackLinks: 'console',
        requireStory: false,
        concurrency: 4,
        circuitBreaker: { failures: 5, coolDownMs: 60_000 },
      },
      {
        id: 'github:other/shop',
        provider: 'github',
        apiUrl: 'https://ghe.example.com/api/v3',
        owner: null,
        repository: 'other/shop',
        token: 'ghp_from_file',
        linkback: false,
        linkbackTemplate: 'Stories: {{ids}} ({{count}})',
        linkbackLinks: 'api',
        requireStory: true,
        concurrency: 2,
        circuitBreaker: { failures: 3, coolDownMs: 500 },
      },
    ]);
  });

  it('server.publicUrl (or STORYFLOW_PUBLIC_URL): an http(s) URL kept without its trailing slash', () => {
    expect(loadConfig({ env: {}, cwd: '/nonexistent' }).publicUrl).toBeNull();
    const dir = directoryWithConfig('server:\n  publicUrl: https://stories.example.com/sf/\n');
    expect(loadConfig({ env: {}, cwd: dir }).publicUrl).toBe('https://stories.example.com/sf');
    expect(
      loadConfig({ env: { STORYFLOW_PUBLIC_URL: 'http://10.0.0.5:8080' }, cwd: dir }).publicUrl,
    ).toBe('http://10.0.0.5:8080');
    for (const [value, message] of [
      ['stories.example.com', 'http(s) URL'],
      ['ftp://stories.example.com', 'http(s) URL'],
      ['https://stories.example.com/?a=1', 'no query'],
    ]) {
      const error = configErrorOf(() =>
        loadConfig({ env: { STORYFLOW_PUBLIC_URL: value as string }, cwd: '/nonexistent' }),
      );
      expect(error.key, value).toBe('STORYFLOW_PUBLIC_URL');
      expect(error.message, value).toContain(message);
    }
  });

  it('a GitLab entry: a group path with subgroups as owner, gitlab.com by default, a group hook id', () => {
    const dir = directoryWithConfig(
      [
        'forges:',
        '  - { provider: gitlab, owner: acme/platform, token: { env: GL }, hookId: 7 }',
        '  - provider: gitlab',
        '    apiUrl: https://gitlab.example.com/api/v4/',
        '    repository: acme/platform/shop',
        '    token: { env: GL }',
        '    requireStory: true',
        '',
      ].join('\n'),
    );
    const config = loadConfig({ env: { GL: 'glpat-secret' }, cwd: dir });
    expect(
      config.forges.map(({ id, apiUrl, owner, repository, hookId }) => ({
        id,
        apiUrl,
        owner,
        repository,
        hookId,
      })),
    ).toEqual([
      {
        id: 'gitlab:acme/platform',
        apiUrl: 'https://gitlab.com/api/v4',
        owner: 'acme/platform',
        repository: null,
        hookId: 7,
      },
      {
        id: 'gitlab:acme/platform/shop',
        apiUrl: 'https://gitlab.example.com/api/v4',
        owner: null,
        repository: 'acme/platform/shop',
        hookId: undefined,
      },
    ]);
    expect(config.forges[0]?.token).toBe('glpat-secret');
    // A GitLab forge turns the scheduled reconciliation on.
    expect(config.reconcile.enabled).toBe(true);
  });

  it('a forge entry that cannot work is refused at load, naming its key, never the secret', () => {
    const cases: [string, Record<string, string>, string, string][] = [
      [
        '- { provider: github, owner: acme, token: { env: NOPE } }',
        {},
        'forges[0].token.env',
        'NOPE is not set',
      ],
      [
        '- { provider: github, owner: acme, token: { file: missing } }',
        {},
        'forges[0].token.file',
        'cannot be read',
      ],
      [
        '- { provider: gitlab, owner: "acme/", token: { env: T } }',
        { T: 'ghp_secret_value' },
        'forges[0].owner',
        'must be a group path',
      ],
      [
        '- { provider: gitlab, repository: shop, token: { env: T } }',
        { T: 'ghp_secret_value' },
        'forges[0].repository',
        'must be the project path',
      ],
      [
        '- { provider: github, owner: acme/platform, token: { env: T } }',
        { T: 'ghp_secret_value' },
        'forges[0].owner',
        'without a slash',
      ],
      [
        '- { provider: github, token: { env: T } }',
        { T: 'ghp_secret_value' },
        'forges[0]',
        'exactly one of owner and repository',
      ],
      [
        '- { provider: github, owner: acme, repository: acme/shop, token: { env: T } }',
        { T: 'ghp_secret_value' },
        'forges[0]',
        'exactly one',
      ],
      [
        '- { provider: github, owner: acme, app: { id: 1, privateKeyFile: k.pem } }',
        {},
        'forges[0].app.privateKeyFile',
        'cannot be read',
      ],
      ['- { provider: github, owner: acme }', {}, 'forges[0].token', 'is required'],
      [
        '- { provider: github, owner: acme, apiUrl: "file:///etc", token: { env: T } }',
        { T: 'ghp_secret_value' },
        'forges[0].apiUrl',
        'http(s) URL',
      ],
      [
        '- { provider: github, owner: acme, token: { env: T }, linkbackTemplate: "{{story}}" }',
        { T: 'ghp_secret_value' },
        'forges[0].linkbackTemplate',
        'unknown placeholder {{story}}',
      ],
      [
        '- { provider: github, owner: acme, token: { env: T }, concurrency: 0 }',
        { T: 'ghp_secret_value' },
        'forges.0.concurrency',
        '',
      ],
      [
        '- { provider: github, owner: acme, token: { env: T }, secret: x }',
        { T: 'ghp_secret_value' },
        'forges.0.secret',
        'unexpected property',
      ],
    ];
    for (const [entry, env, key, message] of cases) {
      const dir = directoryWithConfig(`forges:\n  ${entry}\n`);
      const error = configErrorOf(() => loadConfig({ env, cwd: dir }));
      expect(error.key, entry).toContain(key);
      expect(error.message, entry).toContain(message);
      expect(error.message).not.toContain('ghp_secret_value');
    }
  });
});
