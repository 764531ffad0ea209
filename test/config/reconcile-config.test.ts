// `reconcile:` and the forges' hookUrl / hookId: defaults, and refusals naming the key.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function load(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'storyflow-reconcile-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'storyflow.config.yaml'), yaml);
  return loadConfig({ env: { T: 'ghp_token' }, cwd: dir });
}

const GITHUB = 'forges:\n  - { provider: github, owner: acme, token: { env: T } }\n';

it('is on every 10 minutes looking back 24 hours when a GitHub forge is configured, off without one', () => {
  expect(load(GITHUB).reconcile).toEqual({ enabled: true, intervalMinutes: 10, lookbackHours: 24 });
  expect(load('logLevel: info\n').reconcile.enabled).toBe(false);
  expect(
    load(`${GITHUB}reconcile: { enabled: false, intervalMinutes: 30, lookbackHours: 72 }\n`)
      .reconcile,
  ).toEqual({ enabled: false, intervalMinutes: 30, lookbackHours: 72 });
});

it('keeps a forge’s hookUrl and hookId', () => {
  const { forges } = load(
    'forges:\n  - provider: github\n    repository: acme/shop\n    token: { env: T }\n' +
      '    hookUrl: https://storyflow.example/webhooks/github\n    hookId: 42\n',
  );
  expect(forges[0]).toMatchObject({
    hookUrl: 'https://storyflow.example/webhooks/github',
    hookId: 42,
  });
});

it.each([
  [`${GITHUB}reconcile: { lookbackHours: 73 }\n`, 'reconcile'],
  [`${GITHUB}reconcile: { intervalMinutes: 0 }\n`, 'reconcile'],
  [
    'forges:\n  - { provider: github, owner: acme, token: { env: T }, hookId: 4 }\n',
    'forges[0].hookId: needs repository:',
  ],
  [
    'forges:\n  - { provider: github, owner: acme, token: { env: T }, hookUrl: storyflow }\n',
    'forges[0].hookUrl: must be an http(s) URL',
  ],
])('refuses %j naming the key', (yaml, message) => {
  expect(() => load(yaml)).toThrow(message);
});
