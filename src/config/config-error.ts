/** A configuration problem; `key` names the setting at fault (a file path or env variable). */
export class ConfigError extends Error {
  readonly key: string;

  constructor(key: string, message: string) {
    super(`invalid configuration: ${key}: ${message}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}
