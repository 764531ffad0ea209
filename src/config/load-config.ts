// Reads storyflow.config.yaml (or STORYFLOW_CONFIG) and STORYFLOW_* variables, validates them
// once, and returns one frozen Config. Nothing else in storyflow reads process.env.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import {
  DEFAULT_WORKFLOW,
  freezeWorkflow,
  validateWorkflow,
  type Workflow,
} from '../domain/story/workflow.js';
import type { Config } from './config.js';
import { ConfigError } from './config-error.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const StatusList = Type.Array(Type.String({ minLength: 1 }));

const ConfigFileSchema = Type.Object(
  {
    server: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String({ minLength: 1 })),
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
        },
        { additionalProperties: false },
      ),
    ),
    database: Type.Optional(
      Type.Object(
        { url: Type.Optional(Type.String({ minLength: 1 })) },
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

type ConfigFile = Static<typeof ConfigFileSchema>;

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

const DEFAULT_CONFIG_FILE = 'storyflow.config.yaml';

/**
 * @example
 * const config = loadConfig({ env: process.env, cwd: process.cwd() });
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? {};
  const cwd = options.cwd ?? '.';
  const { file, path } = readConfigFile(env, cwd);

  const port = env.STORYFLOW_PORT === undefined ? file.server?.port : parsePort(env.STORYFLOW_PORT);
  const logLevel = env.STORYFLOW_LOG_LEVEL ?? file.logLevel ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('STORYFLOW_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const databaseUrl =
    env.STORYFLOW_DATABASE_URL ?? file.database?.url ?? 'sqlite:./data/storyflow.db';
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError(
      env.STORYFLOW_DATABASE_URL === undefined ? 'database.url' : 'STORYFLOW_DATABASE_URL',
      'must start with sqlite: (e.g. sqlite:./data/storyflow.db, sqlite::memory:) or postgres://',
    );
  }

  return Object.freeze({
    host: env.STORYFLOW_HOST ?? file.server?.host ?? '0.0.0.0',
    port: port ?? 8080,
    databaseUrl,
    logLevel: logLevel as Config['logLevel'],
    storiesBodyLimit: file.limits?.storiesBodyBytes ?? 1024 * 1024,
    workflow: buildWorkflow(file.workflow),
    configFile: path,
  });
}

function readConfigFile(
  env: Record<string, string | undefined>,
  cwd: string,
): { file: ConfigFile; path: string | null } {
  const explicit = env.STORYFLOW_CONFIG;
  const path = resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(path)) {
    if (explicit !== undefined) throw new ConfigError('STORYFLOW_CONFIG', `no file at ${path}`);
    return { file: {}, path: null };
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8')) ?? {};
  } catch (error) {
    throw new ConfigError(path, `not valid YAML: ${(error as Error).message}`);
  }
  const first = Value.Errors(ConfigFileSchema, raw).First();
  if (first !== undefined) {
    const key = first.path.replace(/^\//, '').replaceAll('/', '.') || '(root)';
    const message =
      first.schema === ConfigFileSchema || first.message.includes('additional')
        ? unknownKeyMessage(raw, first.path)
        : first.message.toLowerCase();
    throw new ConfigError(`${path}: ${key}`, message);
  }
  return { file: raw as ConfigFile, path };
}

function unknownKeyMessage(_raw: unknown, pointer: string): string {
  return pointer === '' ? 'is not a mapping' : 'is not a known setting';
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new ConfigError('STORYFLOW_PORT', `must be a port number 0-65535, got "${value}"`);
  }
  return port;
}

function buildWorkflow(section: ConfigFile['workflow']): Workflow {
  if (section === undefined) return DEFAULT_WORKFLOW;
  const statuses = section.statuses ?? [...DEFAULT_WORKFLOW.statuses];
  const workflow: Workflow = {
    statuses,
    initial: section.initial ?? statuses[0] ?? DEFAULT_WORKFLOW.initial,
    order:
      section.order ?? (section.statuses === undefined ? [...DEFAULT_WORKFLOW.order] : statuses),
    transitions:
      section.transitions ??
      (section.statuses === undefined
        ? DEFAULT_WORKFLOW.transitions
        : Object.fromEntries(statuses.map((s) => [s, statuses.filter((t) => t !== s)]))),
  };
  const issues = validateWorkflow(workflow);
  const first = issues[0];
  if (first !== undefined) throw new ConfigError(first.key, first.message);
  return freezeWorkflow(workflow);
}
