// The typed configuration every part of storyflow receives; built once by loadConfig.
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
  /** The config file that was read, if any. */
  readonly configFile: string | null;
}
