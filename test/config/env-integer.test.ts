// One reading for every integer environment variable: STORYFLOW_PORT, STORYFLOW_INBOX_MAX and
// STORYFLOW_WORKER_NICENESS were parsed three ways (a regex, Number() with isInteger, twice).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { envInteger } from '../../src/config/env-integer.js';
import { loadConfig } from '../../src/config/load-config.js';

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('envInteger', () => {
  it('answers undefined when the variable is not set, so the file or the default applies', () => {
    expect(envInteger({}, 'STORYFLOW_X', { min: 0 })).toBeUndefined();
  });

  it('reads decimal digits within the bounds, both bounds included', () => {
    const bounds = { min: 1, max: 19 };
    expect(envInteger({ STORYFLOW_X: '1' }, 'STORYFLOW_X', bounds)).toBe(1);
    expect(envInteger({ STORYFLOW_X: '19' }, 'STORYFLOW_X', bounds)).toBe(19);
    expect(envInteger({ STORYFLOW_X: '007' }, 'STORYFLOW_X', bounds)).toBe(7);
    expect(envInteger({ STORYFLOW_X: '1000000' }, 'STORYFLOW_X', { min: 1 })).toBe(1_000_000);
  });

  it.each([
    ['below the minimum', '0'],
    ['above the maximum', '20'],
    ['negative', '-1'],
    ['a fraction', '1.5'],
    ['an exponent', '1e1'],
    ['hexadecimal', '0x10'],
    ['padded with spaces', ' 5'],
    ['empty', ''],
    ['a word', 'low'],
    ['too many digits to be exact', '12345678901234567890'],
  ])('refuses a value %s, naming the variable, the bounds and the value', (_case, raw) => {
    const error = configErrorOf(() =>
      envInteger({ STORYFLOW_X: raw }, 'STORYFLOW_X', { min: 1, max: 19 }),
    );
    expect(error.key).toBe('STORYFLOW_X');
    expect(error.message).toBe(
      `invalid configuration: STORYFLOW_X: must be an integer from 1 to 19, got ${JSON.stringify(raw)}`,
    );
  });

  it('says what the number is, and "at least" when there is no maximum', () => {
    expect(
      configErrorOf(() =>
        envInteger({ P: 'x' }, 'P', { min: 0, max: 65535, what: 'a port number' }),
      ).message,
    ).toBe('invalid configuration: P: must be a port number from 0 to 65535, got "x"');
    expect(configErrorOf(() => envInteger({ M: '0' }, 'M', { min: 1 })).message).toBe(
      'invalid configuration: M: must be an integer of at least 1, got "0"',
    );
  });
});

describe('the integer variables of loadConfig read one way', () => {
  const empty = mkdtempSync(join(tmpdir(), 'storyflow-empty-'));

  it('override the defaults when valid', () => {
    const config = loadConfig({
      env: {
        STORYFLOW_PORT: '0',
        STORYFLOW_INBOX_MAX: '25',
        STORYFLOW_WORKER_NICENESS: '19',
      },
      cwd: empty,
    });
    expect(config.port).toBe(0);
    expect(config.inbox.max).toBe(25);
    expect(config.inbox.workerNiceness).toBe(19);
  });

  it.each([
    ['STORYFLOW_PORT', '65536', 'must be a port number from 0 to 65535, got "65536"'],
    ['STORYFLOW_PORT', '80.5', 'must be a port number from 0 to 65535, got "80.5"'],
    ['STORYFLOW_INBOX_MAX', '0', 'must be an integer of at least 1, got "0"'],
    ['STORYFLOW_INBOX_MAX', '1e6', 'must be an integer of at least 1, got "1e6"'],
    ['STORYFLOW_WORKER_NICENESS', '', 'must be an integer from 0 to 19, got ""'],
    ['STORYFLOW_WORKER_NICENESS', '0x5', 'must be an integer from 0 to 19, got "0x5"'],
  ])('a bad %s (%j) is refused naming the variable', (variable, raw, message) => {
    const error = configErrorOf(() => loadConfig({ env: { [variable]: raw }, cwd: empty }));
    expect(error.key).toBe(variable);
    expect(error.message).toBe(`invalid configuration: ${variable}: ${message}`);
  });
});
